"""The data keys contact fields are sealed under: one per subject (a report's reporter, a
supporter, an area alert), kept in a database of their own, apart from the events; erasure
destroys a key and with it every sealed copy in every topic."""

from datetime import UTC, datetime
from typing import Any, Protocol

from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection
from pymongo.errors import DuplicateKeyError

from stadtmelder_shared.sealing import new_data_key

COLLECTION = "data_keys"


def reporter_key_id(report_id: str) -> str:
    """The key of a report's reporter: their contact data and their tracking token."""
    return report_id


def supporter_key_id(report_id: str, recipient: str) -> str:
    """One supporter's own key, so that one supporter can be erased alone; named by their
    recipient key (`RecipientKeys.of`), which the signed links in their mails carry, so that
    erasure from a link finds it."""
    return f"support:{report_id}:{recipient}"


def alert_key_id(subscription_id: str) -> str:
    """An area alert's key: its e-mail address and its confirmation token."""
    return f"alert:{subscription_id}"


class DataKeys(Protocol):
    async def create(self, key_id: str) -> bytes:
        """The key of `key_id`, made now unless it exists (then the existing one)."""
        ...

    async def find(self, key_id: str) -> bytes | None:
        """The key, or None once it was destroyed (or never made)."""
        ...

    async def destroy(self, key_id: str) -> None:
        """Forget the key for good; nothing sealed under it opens again. Idempotent."""
        ...


class MongoDataKeys:
    """Data keys as documents `{_id: key id, key: 32 bytes, created_at}`."""

    def __init__(self, collection: AsyncCollection[dict[str, Any]]) -> None:
        self._keys = collection

    async def create(self, key_id: str) -> bytes:
        # The insert alone, no read first: a key id is new nearly always (a new report), and
        # the unique `_id` says when it is not.
        key = new_data_key()
        try:
            await self._keys.insert_one(
                {"_id": key_id, "key": key, "created_at": datetime.now(UTC)}
            )
        except DuplicateKeyError:
            # Made before, or by another request meanwhile: its key is the one sealed values use.
            won = await self.find(key_id)
            if won is None:
                raise
            return won
        return key

    async def find(self, key_id: str) -> bytes | None:
        document = await self._keys.find_one({"_id": key_id})
        return bytes(document["key"]) if document is not None else None

    async def destroy(self, key_id: str) -> None:
        await self._keys.delete_one({"_id": key_id})


def mongo_data_keys(client: AsyncMongoClient[dict[str, Any]], database: str) -> MongoDataKeys:
    """The keys in `database` (DATA_KEYS_DATABASE), of their own, apart from the events and
    the services' documents, so they can be kept, backed up and erased on their own terms."""
    return MongoDataKeys(client[database][COLLECTION])
