"""Where the daily files are cached: a Protocol and its MongoDB adapter."""

from dataclasses import dataclass
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

Document = dict[str, Any]


@dataclass(frozen=True)
class CachedFile:
    fingerprint: str
    body: bytes


class DailyFileStore(Protocol):
    async def get(self, name: str) -> CachedFile | None: ...

    async def put(self, name: str, cached: CachedFile) -> None:
        """Replaces the file of that name."""
        ...


class MongoDailyFiles:
    """One document per file name (`2026-12-01.geojson@de`). Any replica may write one: two
    writing the same name at once write the same bytes for the same fingerprint, and a file
    whose fingerprint no longer matches is written anew, so no write needs to be atomic."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._files = database["open_data_daily_files"]

    async def get(self, name: str) -> CachedFile | None:
        document = await self._files.find_one({"_id": name})
        return CachedFile(document["fingerprint"], bytes(document["body"])) if document else None

    async def put(self, name: str, cached: CachedFile) -> None:
        await self._files.replace_one(
            {"_id": name},
            {"fingerprint": cached.fingerprint, "body": cached.body},
            upsert=True,
        )
