"""Who is near a place, found by reading grid cells by `_id` only: cell math and its MongoDB store.

FerretDB 1.24 pushes down nothing but a single `_id` equality; `_id: {$in: [...]}` decodes the
whole collection (4 ids among 3,000 cells: 200 ms). Even the pushed-down `_id` reaches SQLite
as an expression its `_id` index does not match, so it scans rows until the match (a missing
id: all rows); that costs a few µs per small cell document and ~30 µs per report. Hence one
small document per covering cell, in a collection of its own, instead of a query on reports.
"""

import asyncio
import math
from collections.abc import AsyncIterable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from pymongo.asynchronous.collection import AsyncCollection

from stadtmelder_shared.event_values import Location
from stadtmelder_shared.geo import EARTH_RADIUS_M, degree_box, distance_m
from stadtmelder_shared.keyed_locks import KeyedLocks
from stadtmelder_shared.once import once_per_database

# An item's scope, id and location.
Place = tuple[str, str, Location]
# A cell twice as wide as the duplicate radius: the circle around any point touches 2×2 cells,
# rarely 3 in one direction; each cell read costs about 1 ms.
CELL_PER_RADIUS = 2.0
# More cells than this and a lookup reads more than it saves: callers fall back to a scan.
MAX_CELLS = 25
# Row widths are taken at most this close to a pole, where longitude degrees shrink to nothing.
_MAX_LATITUDE = 89.0


class AreaTooWide(ValueError):
    """The circle asked about covers more cells than a lookup may read."""


@dataclass(frozen=True)
class Grid:
    """Rows of equal height; each row's cells are at least `cell_m` wide at its pole-ward edge,
    so a cell is never narrower than `cell_m` anywhere in it."""

    cell_m: float

    @classmethod
    def for_radius(cls, radius_m: float) -> "Grid":
        return cls(cell_m=CELL_PER_RADIUS * radius_m)

    @property
    def _row_degrees(self) -> float:
        return math.degrees(self.cell_m / EARTH_RADIUS_M)

    def _column_degrees(self, row: int) -> float:
        edge = max(abs(row * self._row_degrees), abs((row + 1) * self._row_degrees))
        width = self._row_degrees / math.cos(math.radians(min(edge, _MAX_LATITUDE)))
        # Whole columns around the globe, so no cell straddles the antimeridian.
        return 360 / max(1, math.floor(360 / width))

    def _row(self, lat: float) -> int:
        return math.floor(lat / self._row_degrees)

    def _key(self, row: int, column: int) -> str:
        # The cell size is part of the key: another radius setting makes another grid, never
        # a mix of two.
        return f"{self.cell_m:g}m:{row}:{column}"

    def cell_of(self, location: Location) -> str:
        """The cell a point lies in; a point on a border belongs to the cell north or east."""
        row = self._row(location.lat)
        return self._key(row, math.floor((location.lon + 180) / self._column_degrees(row)))

    def cells_covering(self, centre: Location, radius_m: float) -> list[str]:
        """Every cell that may hold a point within `radius_m` of `centre`.

        Raises AreaTooWide beyond MAX_CELLS.
        """
        min_lon, min_lat, max_lon, max_lat = degree_box(centre, radius_m)
        rows = range(self._row(min_lat), self._row(max_lat) + 1)
        cells: list[str] = []
        for row in rows:
            width = self._column_degrees(row)
            first = math.floor((min_lon + 180) / width)
            last = math.floor((max_lon + 180) / width)
            if len(cells) + last - first + 1 > MAX_CELLS:
                raise AreaTooWide(f"{radius_m:g} m around a point is more than {MAX_CELLS} cells")
            cells.extend(self._key(row, column) for column in range(first, last + 1))
        return cells


def within(
    centre: Location, radius_m: float, members: dict[str, Location]
) -> list[tuple[str, float]]:
    """The members within the radius with their distance in metres, nearest first."""
    found = ((member, distance_m(centre, at)) for member, at in members.items())
    return sorted(
        ((member, d) for member, d in found if d <= radius_m), key=lambda pair: (pair[1], pair[0])
    )


class NearbyIndex(Protocol):
    """Places of items (reports, work items) by scope, e.g. jurisdiction and category."""

    async def add(self, scope: str, item_id: str, location: Location) -> None: ...

    async def remove(self, scope: str, item_id: str, location: Location) -> None: ...

    async def near(self, scope: str, centre: Location, radius_m: float) -> list[tuple[str, float]]:
        """Items of the scope within the radius, nearest first, with distances in metres.

        Raises AreaTooWide when the circle needs more than MAX_CELLS cells.
        """
        ...


class MongoNearbyIndex:
    """One small document per (scope, cell): `_id` = the cell key, `items` = id → {lat, lon}
    (a map, since FerretDB 1.24 refuses nested arrays).

    Writes to one cell wait for each other in this process (see `keyed_locks`). Two replicas
    writing one cell at the same moment on FerretDB may lose one entry; MongoDB does not. A lost
    entry only costs a duplicate hint, which is a suggestion, so that is accepted here.
    """

    def __init__(self, collection: AsyncCollection[dict[str, Any]], grid: Grid) -> None:
        self._cells = collection
        self._grid = grid
        self._writing = KeyedLocks()

    async def add(self, scope: str, item_id: str, location: Location) -> None:
        key = self._cell_key(scope, self._grid.cell_of(location))
        async with self._writing(key):
            await self._cells.update_one({"_id": key}, _placed(item_id, location), upsert=True)

    async def remove(self, scope: str, item_id: str, location: Location) -> None:
        key = self._cell_key(scope, self._grid.cell_of(location))
        async with self._writing(key):
            await self._cells.update_one({"_id": key}, {"$unset": {f"items.{_field(item_id)}": ""}})

    async def near(self, scope: str, centre: Location, radius_m: float) -> list[tuple[str, float]]:
        keys = [self._cell_key(scope, cell) for cell in self._grid.cells_covering(centre, radius_m)]
        cells = await asyncio.gather(*(self._cells.find_one({"_id": key}) for key in keys))
        return within(centre, radius_m, _members(cells))

    async def add_and_near(
        self, scope: str, item_id: str, location: Location, radius_m: float
    ) -> list[tuple[str, float]]:
        """`add` and then `near` around the new item, without the item itself: its own cell is
        written and read by one command (findAndModify returns the cell as it was before)."""
        own = self._cell_key(scope, self._grid.cell_of(location))
        others = [
            key
            for key in (
                self._cell_key(scope, cell)
                for cell in self._grid.cells_covering(location, radius_m)
            )
            if key != own
        ]

        async def read_and_add_own() -> dict[str, Any] | None:
            async with self._writing(own):
                return await self._cells.find_one_and_update(
                    {"_id": own}, _placed(item_id, location), upsert=True
                )

        cells = await asyncio.gather(
            read_and_add_own(), *(self._cells.find_one({"_id": key}) for key in others)
        )
        members = _members(cells)
        members.pop(item_id, None)  # there before when the same item is added again
        return within(location, radius_m, members)

    async def fill_once(
        self,
        documents: AsyncIterable[dict[str, Any]],
        place_of: Callable[[dict[str, Any]], Place | None],
    ) -> int:
        """Add the items of `documents` stored before this grid existed (an upgrade, another
        radius), once per grid; `place_of` says where a document's item is, None for nowhere.
        Returns how many were added. Safe to run by several replicas at once."""

        async def fill() -> int:
            added = 0
            async for document in documents:
                place = place_of(document)
                if place is not None:
                    await self.add(*place)
                    added += 1
            return added

        return await once_per_database(self._cells, f"filled|{self._grid.cell_m:g}m", fill)

    @staticmethod
    def _cell_key(scope: str, cell: str) -> str:
        return f"{scope}|{cell}"


def _members(cells: Sequence[dict[str, Any] | None]) -> dict[str, Location]:
    return {
        item_id: Location(lat=place["lat"], lon=place["lon"])
        for cell in cells
        if cell is not None
        for item_id, place in cell.get("items", {}).items()
    }


def _placed(item_id: str, location: Location) -> dict[str, Any]:
    return {"$set": {f"items.{_field(item_id)}": {"lat": location.lat, "lon": location.lon}}}


def _field(item_id: str) -> str:
    # Ids become field names: a dot or a leading $ would address something else.
    if not item_id or "." in item_id or item_id.startswith("$"):
        raise ValueError(f"{item_id!r} cannot name an entry of a nearby cell")
    return item_id
