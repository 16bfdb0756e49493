"""The works register's use cases: import a file, enter, edit or withdraw works, and find the
works shown on the map, in the API, and at a place a citizen is about to report."""

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import NamedTuple

from shapely import box

from stadtmelder_reports.works.domain import Works
from stadtmelder_reports.works.store import StoredWorks, WorksStore
from stadtmelder_shared.clock import utc_now
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.works import WorksIndex

BBox = tuple[float, float, float, float]  # min_lon, min_lat, max_lon, max_lat


class ImportOutcome(NamedTuple):
    """How many works of a file were new, changed, or kept already as they are."""

    added: int
    changed: int
    unchanged: int


@dataclass(frozen=True)
class Shown:
    """Which works a listing holds: overlapping the days from..until, inside the box."""

    since: date
    until: date | None = None
    bbox: BBox | None = None


class WorksNotFound(LookupError):
    pass


class WorksRegister:
    def __init__(
        self,
        store: WorksStore,
        on_changed: Callable[[str], None] = lambda works_id: None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._store, self._on_changed, self._clock = store, on_changed, clock

    async def import_works(self, works: Sequence[Works]) -> ImportOutcome:
        """Keep every works of a checked file; those kept already as they are stay untouched,
        so importing the same file again changes nothing and announces nothing."""
        known = {stored.works.id for stored in await self._store.all()}
        kept = [item.id for item in works if await self._keep(item)]
        added = sum(1 for works_id in kept if works_id not in known)
        return ImportOutcome(added, len(kept) - added, len(works) - len(kept))

    async def save(self, works: Works) -> bool:
        """Staff entered or edited works; False when nothing changed."""
        return await self._keep(works)

    async def withdraw(self, works_id: str) -> None:
        stored = await self._store.get(works_id)
        if stored is None:
            raise WorksNotFound(works_id)
        await self._keep(replace(stored.works, withdrawn=True))

    async def get(self, works_id: str) -> Works:
        stored = await self._store.get(works_id)
        if stored is None or stored.works.withdrawn:
            raise WorksNotFound(works_id)
        return stored.works

    async def listed(self, shown: Shown) -> list[Works]:
        """Works that are not withdrawn, overlap the days and lie (partly) in the box."""
        area = None if shown.bbox is None else box(*shown.bbox)
        return [
            works
            for works in await self._active()
            if works.ends_on >= shown.since
            and (shown.until is None or works.starts_on <= shown.until)
            and (area is None or area.intersects(works.shape()))
        ]

    async def here(self, location: Location, day: date) -> list[Works]:
        """The current or planned works the place lies in, soonest first."""
        active = await self._active()
        by_id = {works.id: works for works in active}
        index = WorksIndex((works.ref(), works.shape()) for works in active)
        return [by_id[ref.id] for ref in index.at(location, day)]

    async def _active(self) -> list[Works]:
        return [s.works for s in await self._store.all() if not s.works.withdrawn]

    async def _keep(self, works: Works) -> bool:
        stored: StoredWorks | None = await self._store.put(works, self._clock())
        if stored is None:
            return False
        self._on_changed(works.id)
        return True
