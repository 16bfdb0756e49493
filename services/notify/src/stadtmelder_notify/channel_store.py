"""The other channels of each report: the webhook of the app it came from, and the browsers
that subscribed to Web Push messages about it.

Push endpoints are personal data (they identify a browser): they are kept here only, looked up
by a hash, and never logged.

Everything about one report is one document (`_id` = report id), its browsers a map by
subscription key: FerretDB 1.24 pushes only a filter of `_id` alone down to SQLite and decodes
the whole collection for any other filter, and each event looks these up. Upgrading from the
collection `push_subscriptions` of one document per browser needs the copy in
`stadtmelder_notify.upgrade` (see docs/operations.md, "Upgrade").
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
        # FerretDB 1.24 loses one of two same-moment updates of one document.
        self._writing = KeyedLocks()

    async def ensure_indexes(self) -> None:
        return None  # found by `_id` only

    async def remember_submission(
        self, report_id: str, app: AppWebhook | None, language: Language
    ) -> None:
        fields: Document = {"language": language}
        if app is not None:
            fields["app"] = app.model_dump()
        await self._set(report_id, fields)

    async def mark_submission_told(self, report_id: str) -> None:
        await self._set(report_id, {"told": True})

    async def is_submission_told(self, report_id: str) -> bool:
        document = await self._reports.find_one({"_id": report_id}, projection={"told": 1})
        return document is not None and document.get("told") is True

    async def app_of(self, report_id: str) -> ReportApp | None:
        document = await self._reports.find_one({"_id": report_id})
        if document is None or not document.get("app"):
            return None
        return ReportApp(AppWebhook.model_validate(document["app"]), document["language"])

    async def subscribe(
        self, report_id: str, subscription: PushSubscription, language: Language
    ) -> None:
        key = subscription_key(report_id, subscription.endpoint)
        fields = {"language": language, **subscription.model_dump()}
        await self._set(report_id, {f"push.{key}": fields})

    async def unsubscribe(self, report_id: str, endpoint: str) -> bool:
        key = subscription_key(report_id, endpoint)
        async with self._writing(report_id):
            if key not in await self._browsers(report_id):
                return False
            await self._reports.update_one({"_id": report_id}, {"$unset": {f"push.{key}": ""}})
        return True

    async def subscribers(self, report_id: str) -> list[Subscriber]:
        return [
            Subscriber(PushSubscription.model_validate(fields), fields["language"])
            for fields in (await self._browsers(report_id)).values()
        ]

    async def is_subscribed(self, report_id: str, endpoint: str) -> bool:
        return subscription_key(report_id, endpoint) in await self._browsers(report_id)

    async def _browsers(self, report_id: str) -> Document:
        document = await self._reports.find_one({"_id": report_id}, projection={"push": 1})
        return dict((document or {}).get("push") or {})

    async def _set(self, report_id: str, fields: Document) -> None:
        async with self._writing(report_id):
            await self._reports.update_one({"_id": report_id}, {"$set": fields}, upsert=True)
