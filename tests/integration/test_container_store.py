"""The container store's contract, held by its fake and by the Mongo adapter on FerretDB."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stadtmelder_fleet.containers.admin import import_files
from stadtmelder_fleet.containers.domain import Container, FillReading
from stadtmelder_fleet.containers.importing import EXAMPLE_FILE
from stadtmelder_fleet.containers.store import KEPT_READINGS, MongoContainerStore
from stadtmelder_fleet.settings import FleetSettings
from stadtmelder_shared.event_values import Location
from tests.container_fakes import InMemoryContainerStore

pytestmark = pytest.mark.integration

START = datetime(2026, 3, 2, 6, 0, 0, 123000, tzinfo=UTC)
GLASS = Container("c-1", Location(lat=51.4329, lon=6.7621), "glass", 3000, "district-500")
PAPER = Container("c-2", Location(lat=51.4341, lon=6.7675), "paper", 2500, "district-500")


@pytest.fixture
def store(database: Any) -> Any:
    return InMemoryContainerStore() if database is None else MongoContainerStore(database)


async def test_imported_containers_are_found_by_id_and_updated_in_place(store: Any) -> None:
    await store.save_containers([GLASS, PAPER])
    moved = Container("c-1", Location(lat=51.43, lon=6.76), "glass", 5000, "district-500")
    await store.save_containers([moved])

    assert await store.containers() == [moved, PAPER]
    assert await store.container("c-2") == PAPER
    assert await store.container("c-9") is None


async def test_readings_come_back_in_time_order_once_each(store: Any) -> None:
    late = FillReading("c-1", START + timedelta(hours=5), 40.0)
    early = FillReading("c-1", START, 10.0)
    citizen = FillReading("c-2", START, 100.0, "citizen")

    for reading in (late, early, late, citizen):  # `late` redelivered
        await store.add_reading(reading)

    assert await store.readings(["c-1", "c-2", "c-3"]) == {"c-1": [early, late], "c-2": [citizen]}


async def test_only_the_latest_readings_are_kept(store: Any) -> None:
    for n in range(KEPT_READINGS + 5):
        await store.add_reading(FillReading("c-1", START + timedelta(hours=n), float(n % 100)))

    kept = (await store.readings(["c-1"]))["c-1"]

    assert len(kept) == KEPT_READINGS
    assert kept[0].measured_at == START + timedelta(hours=5)


async def test_the_example_file_imports_into_the_fleet_database(
    real_database: Any, infrastructure: Any
) -> None:
    settings = FleetSettings(
        MONGODB_URL=infrastructure.mongodb_url, mongodb_database=real_database.name
    )

    imported = await import_files(settings, [EXAMPLE_FILE])

    stored = await MongoContainerStore(real_database).containers()
    assert imported == len(stored) == 10
    assert {c.district for c in stored} == {"district-500"}
    assert all(c.id.startswith("example-") for c in stored)
