"""Importing official areas and assets into the routing database, as the admin command does."""

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from shapely.geometry import shape

from stadtmelder_routing.admin import import_areas, import_assets
from stadtmelder_routing.areas_store import load_areas, load_assets
from stadtmelder_routing.assets import AssetRegistry
from stadtmelder_routing.responsibility import ResponsibilityDataError, load_model
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.service_clients import connect_mongo
from tests.conftest import LocalSystem
from tests.examples import KOENIGSTRASSE, OSM_DIRECTORY

pytestmark = pytest.mark.integration


@pytest.fixture
async def database(infrastructure: LocalSystem) -> AsyncIterator[Any]:
    client = connect_mongo(infrastructure.mongodb_url)
    name = f"routing_import_{uuid.uuid4().hex[:8]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


@pytest.fixture
def district_files() -> list[Path]:
    files = sorted(OSM_DIRECTORY.glob("[1-7]00_*.json"))
    if len(files) != 7:
        pytest.skip(f"the seven OSM district boundaries are not at {OSM_DIRECTORY}")
    return files


def inside(path: Path) -> Location:
    point = shape(json.loads(path.read_text(encoding="utf-8"))).representative_point()
    return Location(lat=point.y, lon=point.x)


async def test_imported_districts_are_stored_and_route_places_to_their_district(
    database: Any, district_files: list[Path]
) -> None:
    await import_areas(database, district_files, kind="district")

    stored = await load_areas(database)
    assert stored is not None
    model = load_model(areas=stored, departments=load_directory())
    assert [(area.id, area.approximate) for area in model.areas] == [
        (f"district-{n}00", False) for n in range(1, 8)
    ]
    for path in district_files:
        district = f"district-{path.name[:3]}"
        decision = model.decide("road_damage", inside(path))
        assert decision is not None
        assert (decision.department_id, decision.area_id) == ("wbd-strasse", district)
    rheinhausen = model.decide("street_light_out", inside(district_files[5]))
    assert rheinhausen is not None
    assert rheinhausen.rule == "rule:street_light_*@district-600"


async def test_without_an_import_the_store_has_no_areas(database: Any) -> None:
    assert await load_areas(database) is None


async def test_an_import_that_would_leave_rules_without_their_area_stores_nothing(
    database: Any,
) -> None:
    city = OSM_DIRECTORY / "000_duisburg.json"
    if not city.exists():
        pytest.skip(f"the OSM city boundary is not at {OSM_DIRECTORY}")

    with pytest.raises(ResponsibilityDataError, match="district-100"):
        await import_areas(database, [city], kind="city")

    assert await load_areas(database) is None


async def test_imported_assets_are_stored_and_a_full_reimport_replaces_them(
    database: Any, tmp_path: Path
) -> None:
    lat, lon = KOENIGSTRASSE
    first = tmp_path / "masten.csv"
    first.write_text(
        "id,lat,lon,owner,pole_number\n"
        f"sl-1,{lat},{lon},city,DU 1\n"
        f"sl-2,{lat + 0.001},{lon},private,DU 2\n",
        encoding="utf-8",
    )
    second = tmp_path / "masten-neu.csv"
    second.write_text(f"id,lat,lon,pole_number\nsl-2,{lat},{lon},DU 2a\n", encoding="utf-8")
    containers = tmp_path / "container.csv"
    containers.write_text(f"id,type,lat,lon,kind\nc-1,container,{lat},{lon},glass\n")

    await import_assets(database, [first], asset_type="street_light")
    await import_assets(database, [containers])
    registry = AssetRegistry(await load_assets(database))
    assert registry.find_by_pole_number("DU2") == registry.find("sl-2")
    assert len(registry) == 3

    await import_assets(database, [second], asset_type="street_light", replace=True)
    assets = {asset.id: asset for asset in await load_assets(database)}
    assert sorted(assets) == ["c-1", "sl-2"]
    assert (assets["sl-2"].pole_number, assets["sl-2"].owner) == ("DU 2a", "city")


async def test_a_re_import_of_hundreds_of_assets_completes(database: Any, tmp_path: Path) -> None:
    # FerretDB 1.24 hangs on one command replacing more than 100 existing documents.
    lat, lon = KOENIGSTRASSE
    poles = tmp_path / "masten.csv"
    rows = [f"sl-{n},{lat + n * 0.0001},{lon},DU {n}" for n in range(250)]
    poles.write_text("id,lat,lon,pole_number\n" + "\n".join(rows) + "\n", encoding="utf-8")

    await import_assets(database, [poles], asset_type="street_light")
    await asyncio.wait_for(
        import_assets(database, [poles], asset_type="street_light", replace=True), timeout=60
    )

    assert len(await load_assets(database)) == 250
