"""Nearby lookups against their fakes (same contract): the cell store, open reports and open
work items near a place, as duplicate suggestions use them."""

import math
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.documents import to_document
from stadtmelder_reports.core.domain import StatusChange, Submission, WorkStep
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.core.submission import submit
from stadtmelder_routing.work_items import MongoWorkItems, WorkItem
from stadtmelder_shared.event_values import Location, Reporter
from stadtmelder_shared.geo import EARTH_RADIUS_M
from stadtmelder_shared.nearby import AreaTooWide, Grid, MongoNearbyIndex
from stadtmelder_shared.nearby_memory import HeldNearbyIndex
from stadtmelder_shared.sealing import new_data_key
from tests.conftest import LocalSystem
from tests.examples import valid_answers
from tests.fakes import InMemoryNearbyIndex, InMemoryReportRepository, InMemoryWorkItems
from tests.system import wait_until

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DUISBURG = load_jurisdiction()
HERE = Location(lat=51.4325, lon=6.7652)
GRID = Grid.for_radius(50)


def north_of(place: Location, metres: float) -> Location:
    return Location(lat=place.lat + math.degrees(metres / EARTH_RADIUS_M), lon=place.lon)


def on_next_row_border(place: Location) -> Location:
    """The first border between two rows of cells north of `place`."""
    height = math.degrees(GRID.cell_m / EARTH_RADIUS_M)
    return Location(lat=math.ceil(place.lat / height) * height, lon=place.lon)


# --- the cell store -----------------------------------------------------------------------------


@pytest.fixture(params=["stored", "held"])
def index(database: Any, request: pytest.FixtureRequest) -> Any:
    if database is None:
        return InMemoryNearbyIndex(GRID)
    if request.param == "held":
        return HeldNearbyIndex(database["cells"], GRID)
    return MongoNearbyIndex(database["cells"], GRID)


async def test_places_within_the_radius_are_found_nearest_first_and_only_in_their_scope(
    index: Any,
) -> None:
    await index.add("duisburg/road_damage", "FAR", north_of(HERE, 80))
    await index.add("duisburg/road_damage", "NEAR", north_of(HERE, 5))
    await index.add("duisburg/road_damage", "MIDDLE", north_of(HERE, 45))
    await index.add("duisburg/graffiti", "OTHER", HERE)

    found = await index.near("duisburg/road_damage", HERE, 50)

    assert [item for item, _ in found] == ["NEAR", "MIDDLE"]
    assert [round(distance) for _, distance in found] == [5, 45]


async def test_a_place_across_a_cell_border_is_found(index: Any) -> None:
    border = on_next_row_border(HERE)
    await index.add("s", "ON-BORDER", border)
    await index.add("s", "ACROSS", north_of(border, 20))

    found = await index.near("s", north_of(border, -20), 50)

    assert sorted(item for item, _ in found) == ["ACROSS", "ON-BORDER"]


async def test_a_removed_place_is_no_longer_found_and_adding_twice_keeps_one(index: Any) -> None:
    await index.add("s", "A", HERE)
    await index.add("s", "A", HERE)
    await index.add("s", "B", HERE)
    await index.remove("s", "A", HERE)
    await index.remove("s", "GONE", HERE)

    assert [item for item, _ in await index.near("s", HERE, 50)] == ["B"]


async def test_a_circle_wider_than_the_grid_reads_is_refused(index: Any) -> None:
    with pytest.raises(AreaTooWide):
        await index.near("s", HERE, 1000)


async def test_held_cells_show_own_places_at_once_and_another_replicas_once_read_again(
    real_database: Any,
) -> None:
    theirs = MongoNearbyIndex(real_database["cells"], GRID)
    await theirs.add("s", "BEFORE", HERE)
    held = HeldNearbyIndex(real_database["cells"], GRID, refresh_s=3600)
    assert [item for item, _ in await held.near("s", HERE, 50)] == ["BEFORE"]

    await theirs.add("s", "THEIRS", north_of(HERE, 10))
    await held.add("s", "OURS", north_of(HERE, 20))
    await held.remove("s", "BEFORE", HERE)
    assert [item for item, _ in await held.near("s", HERE, 50)] == ["OURS"]

    refreshing = HeldNearbyIndex(real_database["cells"], GRID, refresh_s=0)
    await refreshing.near("s", HERE, 50)
    await theirs.add("s", "LATER", north_of(HERE, 30))

    async def later_seen() -> bool:
        return [item for item, _ in await refreshing.near("s", HERE, 50)] == [
            "THEIRS",
            "OURS",
            "LATER",
        ]

    await wait_until(later_seen, timeout=10, what="the place another replica added")


# --- open reports near a place -------------------------------------------------------------------


@pytest.fixture
def reports(database: Any) -> Any:
    return InMemoryReportRepository() if database is None else MongoReportRepository(database)


def a_report(category: str = "road_damage", where: Location = HERE) -> Any:
    answers = valid_answers(DUISBURG.category(category))
    submission = Submission(
        category, "Schaden hier", where, answers=answers, contact=Reporter(email="a@example.org")
    )
    report_id = f"R{uuid.uuid4().hex[:9].upper()}"
    return submit(
        submission, DUISBURG, (), NOW, report_id, "token-" + report_id, new_data_key()
    ).report


async def test_open_reports_of_the_category_within_the_radius_are_found(reports: Any) -> None:
    near, far = a_report(where=north_of(HERE, 30)), a_report(where=north_of(HERE, 120))
    other = a_report(category="graffiti")
    for report in (near, far, other):
        await reports.add(report)

    found = await reports.open_nearby("duisburg", "road_damage", HERE, 50)

    assert [r.id for r in found] == [near.id]


async def test_a_resolved_report_is_not_found_until_it_is_reopened(reports: Any) -> None:
    report = a_report()
    await reports.add(report)
    resolved = StatusChange("resolved", NOW + timedelta(minutes=1), str(uuid.uuid4()))
    await reports.record_status(report.id, resolved)

    assert await reports.open_nearby("duisburg", "road_damage", HERE, 50) == []
    assert await reports.open_nearby("duisburg", "road_damage", HERE, 50) == []

    loaded = await reports.get(report.id)
    reopened = StatusChange("reopened", NOW + timedelta(minutes=2), str(uuid.uuid4()))
    step = replace(WorkStep.keeping(loaded), status="reopened", changes=(reopened,))
    assert await reports.record_work(report.id, loaded.revision, step)

    assert [r.id for r in await reports.open_nearby("duisburg", "road_damage", HERE, 50)] == [
        report.id
    ]


# --- open work items near a place ----------------------------------------------------------------


@pytest.fixture
def work_items(database: Any) -> Any:
    return InMemoryWorkItems() if database is None else MongoWorkItems(database)


def an_item(report_id: str, where: Location, status: str = "routed") -> WorkItem:
    return WorkItem(report_id, "wbd-strasse", "road_damage", where, status, NOW)


async def test_open_work_items_nearby_come_nearest_first_and_closed_ones_drop_out(
    work_items: Any,
) -> None:
    await work_items.save(an_item("A", north_of(HERE, 40)))
    await work_items.save(an_item("B", north_of(HERE, 10)))
    await work_items.save(an_item("C", north_of(HERE, 200)))
    await work_items.save(replace(an_item("D", HERE), category="graffiti"))
    await work_items.save(an_item("E", HERE, status="resolved"))

    assert await work_items.open_near("road_damage", HERE, 50) == ["B", "A"]

    await work_items.save(an_item("B", north_of(HERE, 10), status="resolved"))
    assert await work_items.open_near("road_damage", HERE, 50) == ["A"]

    await work_items.save(an_item("B", north_of(HERE, 10), status="reopened"))
    assert await work_items.open_near("road_damage", HERE, 50) == ["B", "A"]


async def test_a_new_item_placed_while_looking_nearby_is_found_next_and_stored_once(
    work_items: Any,
) -> None:
    await work_items.save(an_item("A", north_of(HERE, 20)))

    near = await work_items.open_near("road_damage", HERE, 50, placing="N")
    first = replace(an_item("N", HERE), origin="reports.submitted/0/5")
    stored = await work_items.save_new(first)
    again = await work_items.save_new(replace(first, status="triage", origin="elsewhere"))

    assert near == ["A"]
    assert stored is None
    assert again is not None
    assert (again.status, again.origin) == ("routed", "reports.submitted/0/5")
    near_a = await work_items.open_near("road_damage", north_of(HERE, 20), 50, placing="M")
    assert near_a == ["A", "N"]


# --- an upgrade: reports and work items stored before the index ----------------------------------


@pytest.fixture
async def ferretdb(infrastructure: LocalSystem) -> AsyncIterator[Any]:
    """Only the real database: what an earlier version stored lives there, not in a fake."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        infrastructure.mongodb_url, tz_aware=True
    )
    name = f"upgrade_{uuid.uuid4().hex[:8]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


async def test_reports_stored_before_the_index_are_found_after_the_first_start(
    ferretdb: Any,
) -> None:
    older, closed = a_report(), a_report(where=north_of(HERE, 10))
    await ferretdb["reports"].insert_many([to_document(older), to_document(closed)])
    await ferretdb["reports"].update_one({"_id": closed.id}, {"$set": {"status": "resolved"}})
    reports = MongoReportRepository(ferretdb)

    assert await reports.index_open_reports() == 1
    assert await reports.index_open_reports() == 0
    found = await reports.open_nearby("duisburg", "road_damage", HERE, 50)
    assert [r.id for r in found] == [older.id]


async def test_work_items_stored_before_the_index_are_found_after_the_first_start(
    ferretdb: Any,
) -> None:
    where = north_of(HERE, 20)
    await ferretdb["work_items"].insert_one(
        {
            "_id": "OLD",
            "department_id": "wbd-strasse",
            "category": "road_damage",
            "lat": where.lat,
            "lon": where.lon,
            "status": "routed",
            "due_at": NOW,
            "overdue_at": None,
            "order": None,
        }
    )
    work_items = MongoWorkItems(ferretdb)

    assert await work_items.index_open_items() == 1
    assert await work_items.index_open_items() == 0
    assert await work_items.open_near("road_damage", HERE, 50) == ["OLD"]
