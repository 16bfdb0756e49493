"""The other channels of each report: the webhook of the app it came from, and the browsers
that subscribed to Web Push messages about it.

Push endpoints are personal data (they identify a browser): they are kept here only, looked up
by a hash, and never logged.
"""

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_shared.events import AppWebhook, Language, PushSubscription
from stadtmelder_shared.keyed_locks import KeyedLocks

Document = dict[str, Any]


@dataclass(frozen=True)
class ReportApp:
    webhook: AppWebhook
    language: Language


@dataclass(frozen=True)
class Subscriber:
    subscription: PushSubscription
    language: Language


def subscription_key(report_id: str, endpoint: str) -> str:
    """One browser's subscription to one report, as a hash: the endpoint names the browser."""
    return hashlib.sha256(f"stadtmelder-push|{report_id}|{endpoint}".encode()).hexdigest()


class ChannelStore(Protocol):
    async def remember_submission(
        self, report_id: str, app: AppWebhook | None, language: Language
    ) -> None:
        """The report was submitted, through `app` if it is set."""
        ...

    async def mark_submission_told(self, report_id: str) -> None:
        """The submission's messages went out (or were dealt with): later steps may follow."""
        ...

    async def is_submission_told(self, report_id: str) -> bool: ...

    async def app_of(self, report_id: str) -> ReportApp | None: ...

    async def subscribe(
        self, report_id: str, subscription: PushSubscription, language: Language
    ) -> None: ...

    async def unsubscribe(self, report_id: str, endpoint: str) -> bool:
        """False if there was no such subscription."""
        ...

    async def subscribers(self, report_id: str) -> list[Subscriber]: ...

    async def is_subscribed(self, report_id: str, endpoint: str) -> bool: ...


class MongoChannelStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._reports = database["report_channels"]
        self._subscriptions = database["push_subscriptions"]
        # FerretDB 1.24 loses one of two same-moment updates of one document.
        self._writing = KeyedLocks()

    async def ensure_indexes(self) -> None:
        await self._subscriptions.create_index("report_id")

    async def remember_submission(
        self, report_id: str, app: AppWebhook | None, language: Language
    ) -> None:
        fields: Document = {"language": language}
        if app is not None:
            fields["app"] = app.model_dump()
        async with self._writing(report_id):
            await self._reports.update_one({"_id": report_id}, {"$set": fields}, upsert=True)

    async def mark_submission_told(self, report_id: str) -> None:
        async with self._writing(report_id):
            await self._reports.update_one(
                {"_id": report_id}, {"$set": {"told": True}}, upsert=True
            )

    async def is_submission_told(self, report_id: str) -> bool:
        found = await self._reports.count_documents({"_id": report_id, "told": True}, limit=1)
        return found == 1

    async def app_of(self, report_id: str) -> ReportApp | None:
        document = await self._reports.find_one({"_id": report_id})
        if document is None or not document.get("app"):
            return None
        return ReportApp(AppWebhook.model_validate(document["app"]), document["language"])

    async def subscribe(
        self, report_id: str, subscription: PushSubscription, language: Language
    ) -> None:
        key = subscription_key(report_id, subscription.endpoint)
        fields = {"report_id": report_id, "language": language, **subscription.model_dump()}
        async with self._writing(key):
            await self._subscriptions.update_one({"_id": key}, {"$set": fields}, upsert=True)

    async def unsubscribe(self, report_id: str, endpoint: str) -> bool:
        key = subscription_key(report_id, endpoint)
        async with self._writing(key):
            result = await self._subscriptions.delete_one({"_id": key})
        return result.deleted_count == 1

    async def subscribers(self, report_id: str) -> list[Subscriber]:
        cursor = self._subscriptions.find({"report_id": report_id})
        return [
            Subscriber(PushSubscription.model_validate(document), document["language"])
            async for document in cursor
        ]

    async def is_subscribed(self, report_id: str, endpoint: str) -> bool:
        key = subscription_key(report_id, endpoint)
        return await self._subscriptions.count_documents({"_id": key}, limit=1) == 1
