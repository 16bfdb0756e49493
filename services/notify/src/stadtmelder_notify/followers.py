"""The followers of each report (reporter and supporters) with their preferences.

One document per report, read and written by `_id` alone: FerretDB 1.24 decodes the whole
collection for any other filter. It also loses one of two updates of the same document at the
same moment, so a report's followers are written one at a time per process (KeyedLocks).
"""

from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_shared.events import Language, Reporter
from stadtmelder_shared.keyed_locks import KeyedLocks
from stadtmelder_shared.link_tokens import recipient_key

Document = dict[str, Any]


class FollowerStore(Protocol):
    """Reporters and supporters of a report, who hear about each step."""

    async def add(self, report_id: str, follower: Reporter) -> None: ...

    async def of(self, report_id: str) -> list[Reporter]:
        """Those who still want mail about the report, each in the language they chose."""
        ...

    async def set_preferences(
        self,
        report_id: str,
        recipient: str,
        opted_out: bool | None,
        language: Language | None,
    ) -> bool:
        """Apply a choice of the follower with key `recipient`; False if nobody has that key."""
        ...

    async def mark_confirmed(self, report_id: str, email: str) -> None:
        """The reporter's confirmation of receipt was dealt with: sent, kept back or unwanted."""

    async def is_confirmed(self, report_id: str, email: str) -> bool: ...


class MongoFollowerStore:
    """One document per report (`_id` = report id) holding its followers by recipient key, read
    and written by `_id` alone; the rest is decided here.

    Upgrading from the store of one document per follower (collection `followers`) needs the
    copy in `stadtmelder_notify.upgrade` (see docs/operations.md, "Upgrade").
    """

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._reports = database["report_followers"]
        self._writing = KeyedLocks()

    async def ensure_indexes(self) -> None:
        return None  # found by `_id` only

    async def add(self, report_id: str, follower: Reporter) -> None:
        key = recipient_key(report_id, follower.email or "")
        async with self._writing(report_id):
            document = await self._reports.find_one({"_id": report_id}) or {}
            known = document.get("followers") or {}
            if key in known:
                return  # a redelivered event, or a supporter who reported it: choices stay
            # The position keeps the order in which people joined (reporter first).
            fields = {**follower.model_dump(), "position": len(known)}
            await self._reports.update_one(
                {"_id": report_id}, {"$set": {f"followers.{key}": fields}}, upsert=True
            )

    async def of(self, report_id: str) -> list[Reporter]:
        document = await self._reports.find_one({"_id": report_id})
        followers = (document or {}).get("followers") or {}
        return [
            Reporter.model_validate(
                {**fields, "language": fields.get("chosen_language") or fields["language"]}
            )
            for fields in sorted(followers.values(), key=lambda fields: fields["position"])
            if not fields.get("opted_out")
        ]

    async def set_preferences(
        self,
        report_id: str,
        recipient: str,
        opted_out: bool | None,
        language: Language | None,
    ) -> bool:
        if not _is_key(recipient):
            return False  # not a key we made; it must not become part of a field path
        choices: Document = {}
        if opted_out is not None:
            choices[f"followers.{recipient}.opted_out"] = opted_out
        if language is not None:
            choices[f"followers.{recipient}.chosen_language"] = language
        async with self._writing(report_id):
            document = await self._reports.find_one({"_id": report_id})
            if recipient not in ((document or {}).get("followers") or {}):
                return False
            if choices:
                await self._reports.update_one({"_id": report_id}, {"$set": choices})
        return True

    async def mark_confirmed(self, report_id: str, email: str) -> None:
        key = recipient_key(report_id, email)
        async with self._writing(report_id):
            await self._reports.update_one(
                {"_id": report_id}, {"$set": {f"confirmed.{key}": True}}, upsert=True
            )

    async def is_confirmed(self, report_id: str, email: str) -> bool:
        document = await self._reports.find_one({"_id": report_id}, projection={"confirmed": 1})
        return recipient_key(report_id, email) in ((document or {}).get("confirmed") or {})


def _is_key(text: str) -> bool:
    return len(text) == 64 and all(c in "0123456789abcdef" for c in text)
