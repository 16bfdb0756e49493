"""Routing's own copy of the known works reports announces on `works.changed`, and the works a
report's place lies in when it is routed, so the department's work item can name them."""

import time
from collections.abc import Callable
from datetime import date, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_shared.event_values import Location, WorksRef
from stadtmelder_shared.works import WorksChanged, WorksIndex

Document = dict[str, Any]
CITY_TIME = ZoneInfo("Europe/Berlin")
# Another replica may have consumed a change: the copy in memory is read again this often.
REREAD_SECONDS = 30.0


class WorksCopy(Protocol):
    async def latest(self) -> list[WorksChanged]: ...

    async def keep(self, event: WorksChanged) -> bool:
        """Keep the event unless a later revision is kept; False when it was older or seen."""
        ...


class MongoWorksCopy:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._works = database["known_works"]

    async def latest(self) -> list[WorksChanged]:
        return [WorksChanged.model_validate_json(d["event"]) async for d in self._works.find({})]

    async def keep(self, event: WorksChanged) -> bool:
        kept = await self._works.find_one({"_id": event.works_id}, projection={"revision": 1})
        if kept is not None and kept["revision"] >= event.revision:
            return False
        # The event as JSON text: FerretDB 1.x rejects the outline's nested arrays.
        document = {"_id": event.works_id, "revision": event.revision}
        document["event"] = event.model_dump_json()
        await self._works.replace_one({"_id": event.works_id}, document, upsert=True)
        return True


class KnownWorks:
    """The works index in memory, read from the copy on first use, after a change this process
    kept, and every `REREAD_SECONDS` for the changes other replicas kept."""

    def __init__(
        self,
        copy: WorksCopy | None = None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._copy, self._monotonic = copy, monotonic
        self._index = WorksIndex(())
        self._read_at: float | None = None

    async def take(self, event: WorksChanged) -> bool:
        if self._copy is None or not await self._copy.keep(event):
            return False
        self._read_at = None
        return True

    async def at(self, location: Location | None, moment: datetime) -> list[WorksRef]:
        """Current or planned works at the place on the city's day of `moment`."""
        if location is None or self._copy is None:
            return []
        now = self._monotonic()
        if self._read_at is None or now - self._read_at >= REREAD_SECONDS:
            self._index = WorksIndex.of_events(await self._copy.latest())
            self._read_at = now
        return self._index.at(location, city_day(moment))


def city_day(moment: datetime) -> date:
    return moment.astimezone(CITY_TIME).date()
