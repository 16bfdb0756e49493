"""A nearby index whose lookups read no cell: every cell of `MongoNearbyIndex` held in memory.

A lookup read one to four cell documents by `_id` (1.5 on average per submission), a command
each. Here the whole collection is read once, kept current by this process's own writes (which
still go to the collection, so other replicas and the next start see them) and read again in
the background every `REFRESH_S` for what other replicas wrote. A place another replica added
meanwhile may be missed for that long: a duplicate hint is a suggestion, as `MongoNearbyIndex`
already accepts for two replicas writing one cell.
"""

import asyncio
import logging
import time
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

from stadtmelder_shared.event_values import Location
from stadtmelder_shared.nearby import Grid, MongoNearbyIndex, within

log = logging.getLogger(__name__)
# Other replicas' places reach a lookup at most this much later; one read of all cells each.
REFRESH_S = 30.0
# Cell key → item → place.
Cells = dict[str, dict[str, Location]]
# A change while the cells are read: the cell key, the item, its place (None: removed).
Change = tuple[str, str, Location | None]


class HeldNearbyIndex(MongoNearbyIndex):
    """`MongoNearbyIndex` answering `near` from memory; `add` and `remove` write through."""

    def __init__(
        self, collection: AsyncCollection[dict[str, Any]], grid: Grid, refresh_s: float = REFRESH_S
    ) -> None:
        super().__init__(collection, grid)
        self._collection = collection
        self._grid = grid
        self._refresh_s = refresh_s
        self._held: Cells | None = None
        self._read_at = -float("inf")
        # Changes made while the cells are read, replayed on what was read.
        self._changes: list[Change] | None = None
        self._reading = asyncio.Lock()
        self._refreshing: asyncio.Task[Cells] | None = None

    async def add(self, scope: str, item_id: str, location: Location) -> None:
        await super().add(scope, item_id, location)
        self._change((self._cell_key(scope, self._grid.cell_of(location)), item_id, location))

    async def remove(self, scope: str, item_id: str, location: Location) -> None:
        await super().remove(scope, item_id, location)
        self._change((self._cell_key(scope, self._grid.cell_of(location)), item_id, None))

    async def near(self, scope: str, centre: Location, radius_m: float) -> list[tuple[str, float]]:
        keys = [self._cell_key(scope, cell) for cell in self._grid.cells_covering(centre, radius_m)]
        held = await self._held_cells()
        members = {item: at for key in keys for item, at in held.get(key, {}).items()}
        return within(centre, radius_m, members)

    async def _held_cells(self) -> Cells:
        if self._held is None:
            return await self._read()
        if time.monotonic() - self._read_at >= self._refresh_s and self._refreshing is None:
            # Lookups go on with what is held while the collection is read again.
            self._refreshing = asyncio.create_task(self._read())
            self._refreshing.add_done_callback(self._refreshed)
        return self._held

    def _refreshed(self, task: asyncio.Task[Cells]) -> None:
        self._refreshing = None
        if not task.cancelled() and (error := task.exception()) is not None:
            log.error("nearby cells not read again; tried after the next period", exc_info=error)
            self._read_at = time.monotonic()

    async def _read(self) -> Cells:
        async with self._reading:
            if self._held is not None and time.monotonic() - self._read_at < self._refresh_s:
                return self._held
            self._changes = []
            try:
                read: Cells = {}
                async for cell in self._collection.find({}):
                    if "items" not in cell:
                        continue  # a marker of `fill_once`
                    read[cell["_id"]] = {
                        item: Location(lat=at["lat"], lon=at["lon"])
                        for item, at in cell["items"].items()
                    }
                for change in self._changes:
                    _apply(read, change)
            finally:
                self._changes = None
            self._held = read
            self._read_at = time.monotonic()
            return read

    def _change(self, change: Change) -> None:
        if self._held is not None:
            _apply(self._held, change)
        if self._changes is not None:
            self._changes.append(change)


def _apply(cells: Cells, change: Change) -> None:
    key, item, location = change
    if location is None:
        cells.get(key, {}).pop(item, None)
    else:
        cells.setdefault(key, {})[item] = location
