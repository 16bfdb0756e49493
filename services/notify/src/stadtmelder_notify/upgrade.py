"""One-off copy of followers and push subscriptions from the collections of one document each
(`followers`, `push_subscriptions`, before November 2026) into the documents by report that
notify reads now, and of the deferred messages' keys into `deferred`:
`python -m stadtmelder_notify.upgrade`, while notify is stopped.

It may run again: it adds nobody twice and sets each old choice again. The old collections stay
as they were, to be dropped by hand once the copy was checked.
"""

import asyncio
from dataclasses import dataclass
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_notify.core.store import Choices, MongoChannelStore, MongoFollowerStore
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_shared.event_values import PushSubscription, Reporter
from stadtmelder_shared.link_tokens import RecipientKeys
from stadtmelder_shared.service_clients import connect_mongo

Document = dict[str, Any]


@dataclass(frozen=True)
class Copied:
    followers: int
    subscriptions: int
    deferred: int = 0


async def copy_to_documents_by_report(
    database: AsyncDatabase[Document], keys: RecipientKeys
) -> Copied:
    followers = MongoFollowerStore(database, keys)
    followed = 0
    # In stored order, as the old store listed them: each report's reporter stays first.
    async for old in database["followers"].find():
        report_id, email = old["report_id"], old.get("email") or ""
        await followers.add(report_id, Reporter.model_validate(old))
        await followers.set_preferences(
            report_id,
            keys.of(report_id, email),
            Choices(old.get("opted_out"), old.get("chosen_language")),
        )
        if old.get("confirmed"):
            await followers.mark_confirmed(report_id, email)
        followed += 1
    # Confirmations are noted for a write behind the sending: this copy writes them now.
    await followers.flush()
    channels = MongoChannelStore(database)
    subscribed = 0
    async for old in database["push_subscriptions"].find():
        await channels.subscribe(
            old["report_id"], PushSubscription.model_validate(old), old["language"]
        )
        subscribed += 1
    deferred = 0
    async for old in database["deliveries"].find({"status": "deferred"}):
        await database["deferred"].update_one(
            {"_id": old["_id"]}, {"$set": {"not_before": old["lease_until"]}}, upsert=True
        )
        deferred += 1
    return Copied(followed, subscribed, deferred)


async def _upgrade(settings: NotifySettings) -> Copied:
    client = connect_mongo(settings.mongodb_url)
    try:
        keys = RecipientKeys.under(settings.link_secret.get_secret_value().encode())
        return await copy_to_documents_by_report(client[settings.mongodb_database], keys)
    finally:
        await client.close()


def main() -> None:
    copied = asyncio.run(_upgrade(NotifySettings()))
    print(
        f"copied {copied.followers} followers, {copied.subscriptions} push subscriptions"
        f" and {copied.deferred} deferred messages"
    )


if __name__ == "__main__":
    main()
