"""Playgrounds as places: which one a report belongs to (50 m from its outline or point), the
state people see, and the import of a register that refuses a bad file as a whole."""

import json
import math
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import shapely

from stadtmelder_reports.core.domain import Report, StatusChange
from stadtmelder_reports.playgrounds.domain import (
    Playground,
    PlaygroundMap,
    belongs_to_playgrounds,
    recently_fixed,
    state_of,
)
from stadtmelder_reports.playgrounds.files import (
    PlaygroundFileError,
    playgrounds_from_csv,
    playgrounds_from_geojson,
    read_playground_file,
)
from stadtmelder_reports.playgrounds.service import import_playgrounds
from stadtmelder_routing.domain import work_item
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_values import CategoryRef, Location, PlaygroundRef
from stadtmelder_shared.geo import EARTH_RADIUS_M
from stadtmelder_shared.report_events import ReportSubmitted
from tests.examples import OSM_DIRECTORY
from tests.playground_fakes import InMemoryPlaygroundStore
from tests.system import ROOT

EXAMPLE = ROOT / "deploy/local/data/playgrounds.example.geojson"
DUISBURG = OSM_DIRECTORY / "000_duisburg.json"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)
# A square playground of about 40 x 40 m in the Kantpark.
SOUTH, WEST = 51.4295, 6.7667
NORTH, EAST = SOUTH + 0.00036, WEST + 0.00058


def north_of(lat: float, lon: float, metres: float) -> Location:
    return Location(lat=lat + math.degrees(metres / EARTH_RADIUS_M), lon=lon)


def square(playground_id: str = "square", name: str = "Spielplatz Kantpark") -> Playground:
    return Playground(playground_id, name, shapely.box(WEST, SOUTH, EAST, NORTH))


def point(playground_id: str, lat: float, lon: float) -> Playground:
    return Playground(playground_id, f"Spielplatz {playground_id}", shapely.Point(lon, lat))


def test_a_place_inside_the_outline_belongs_to_the_playground() -> None:
    inside = Location(lat=(SOUTH + NORTH) / 2, lon=(WEST + EAST) / 2)

    assert PlaygroundMap([square()]).nearest(inside) == square()


def test_a_place_48_m_beyond_the_outline_belongs_but_52_m_does_not() -> None:
    playgrounds = PlaygroundMap([square()])
    middle = (WEST + EAST) / 2

    assert playgrounds.nearest(north_of(NORTH, middle, 48)) == square()
    assert playgrounds.nearest(north_of(NORTH, middle, 52)) is None


def test_the_outline_counts_not_its_centre() -> None:
    # 45 m beyond the edge is more than 60 m from the middle: a point register would miss it.
    place = north_of(NORTH, (WEST + EAST) / 2, 45)
    centre_only = point("centre", (SOUTH + NORTH) / 2, (WEST + EAST) / 2)

    assert PlaygroundMap([square()]).nearest(place) == square()
    assert PlaygroundMap([centre_only]).nearest(place) is None


def test_a_playground_given_as_a_point_takes_reports_within_50_m_of_it() -> None:
    playgrounds = PlaygroundMap([point("dellplatz", 51.4322, 6.7580)])

    assert playgrounds.nearest(north_of(51.4322, 6.7580, 49)) is not None
    assert playgrounds.nearest(north_of(51.4322, 6.7580, 51)) is None


def test_of_two_playgrounds_in_reach_the_nearer_one_wins() -> None:
    west = point("west", 51.43, 6.7600)
    east = point("east", 51.43, 6.7610)  # about 70 m further east
    place = Location(lat=51.43, lon=6.7607)

    assert PlaygroundMap([west, east]).nearest(place) == east
    assert PlaygroundMap([east, west]).nearest(place) == east


def test_only_playground_categories_join_a_playground() -> None:
    damage = CategoryRef(code="playground_damage", names={}, group="playgrounds")
    lamp = CategoryRef(code="street_light_out", names={}, group="lighting")

    assert belongs_to_playgrounds(damage)
    assert not belongs_to_playgrounds(lamp)


def test_the_state_is_closed_when_staff_closed_it_whatever_is_open() -> None:
    closed = Playground("p", "Spielplatz", shapely.Point(6.76, 51.43), closed_for_repair=True)

    assert state_of(closed, open_defects=2) == "closed"
    assert state_of(closed, open_defects=0) == "closed"
    assert state_of(square(), open_defects=1) == "defects_open"
    assert state_of(square(), open_defects=0) == "no_known_defects"


def report_changed(status: str, days_ago: int) -> Report:
    at = NOW - timedelta(days=days_ago)
    return Report(
        id="R",
        jurisdiction="duisburg",
        category=CategoryRef(code="playground_damage", names={}, group="playgrounds"),
        description="Schaukel kaputt",
        location=None,
        language="de",
        reporter=None,
        created_at=NOW - timedelta(days=60),
        status=status,
        history=[StatusChange(status, at, "e1")],
    )


def test_a_fix_counts_as_recent_for_30_days() -> None:
    assert recently_fixed(report_changed("resolved", 29), NOW)
    assert not recently_fixed(report_changed("resolved", 31), NOW)
    assert not recently_fixed(report_changed("in_progress", 1), NOW)


# --- import -------------------------------------------------------------------------------------


def test_the_example_file_is_labelled_and_its_playgrounds_lie_in_duisburg() -> None:
    document = json.loads(EXAMPLE.read_text(encoding="utf-8"))
    playgrounds = read_playground_file(EXAMPLE)
    city = shapely.geometry.shape(json.loads(DUISBURG.read_text(encoding="utf-8")))

    assert "EXAMPLE" in document["description"]
    assert len(playgrounds) >= 5
    assert {p.geometry.geom_type for p in playgrounds} == {"Polygon", "Point"}
    assert [p.id for p in playgrounds if not city.contains(p.geometry)] == []
    assert "Spielplatz Kantpark" in {p.name for p in playgrounds}


def osm_export(*features: dict[str, Any]) -> dict[str, object]:
    return {"type": "FeatureCollection", "features": list(features)}


def osm_feature(osm_id: str, geometry: dict[str, object], **tags: str) -> dict[str, Any]:
    """A feature as overpass turbo exports it: `@id` and the tags as properties."""
    properties = {"@id": osm_id, "leisure": "playground", **tags}
    return {"type": "Feature", "id": osm_id, "properties": properties, "geometry": geometry}


RING = [[6.76, 51.43], [6.761, 51.43], [6.761, 51.4305], [6.76, 51.43]]


def test_an_openstreetmap_export_imports_as_it_is() -> None:
    export = osm_export(
        osm_feature("way/1", {"type": "Polygon", "coordinates": [RING]}, name="Spielplatz A"),
        osm_feature(
            "relation/2", {"type": "MultiPolygon", "coordinates": [[RING]]}, operator="WBD"
        ),
        osm_feature("node/3", {"type": "Point", "coordinates": [6.77, 51.44]}, name="B"),
    )

    found = playgrounds_from_geojson(export, "export.geojson")

    assert [(p.id, p.name, p.operator) for p in found] == [
        ("way-1", "Spielplatz A", None),
        ("relation-2", None, "WBD"),
        ("node-3", "B", None),
    ]


def test_a_malformed_feature_is_named_by_number_and_id_with_its_problem() -> None:
    bowtie = [[6.76, 51.43], [6.761, 51.4305], [6.761, 51.43], [6.76, 51.4305], [6.76, 51.43]]
    export = osm_export(
        osm_feature("way/1", {"type": "Polygon", "coordinates": [RING]}, name="Gut"),
        osm_feature("way/2", {"type": "LineString", "coordinates": RING}, name="Linie"),
        osm_feature("way/3", {"type": "Polygon", "coordinates": [bowtie]}, name="Schleife"),
        osm_feature("node/4", {"type": "Point", "coordinates": [200, 51.4]}, name="Weit"),
    )

    with pytest.raises(PlaygroundFileError) as refused:
        playgrounds_from_geojson(export, "export.geojson")

    message = str(refused.value)
    assert "export.geojson: 3 bad feature(s), nothing imported" in message
    assert "feature 2 (id way-2): geometry 'LineString' is not one of" in message
    assert "feature 3 (id way-3): the outline is not valid: Self-intersection" in message
    assert "feature 4 (id node-4): coordinates lie outside" in message
    assert "feature 1" not in message


def test_a_feature_without_id_and_a_repeated_id_are_refused() -> None:
    nameless = {"type": "Feature", "properties": {}, "geometry": {"type": "Point"}}
    nameless["geometry"] = {"type": "Point", "coordinates": [6.7, 51.4]}
    export = osm_export(
        nameless,
        osm_feature("node/1", {"type": "Point", "coordinates": [6.7, 51.4]}),
        osm_feature("node/1", {"type": "Point", "coordinates": [6.8, 51.4]}),
    )

    with pytest.raises(PlaygroundFileError) as refused:
        playgrounds_from_geojson(export, "x.geojson")

    assert "feature 1: id is missing" in str(refused.value)
    assert "feature 3 (id node-1): id 'node-1' was already used" in str(refused.value)


def test_a_csv_register_takes_points_and_wkt_outlines() -> None:
    text = (
        "id,name,operator,lat,lon,wkt\n"
        "7,Spielplatz Dellplatz,Stadt,51.4322,6.7580,\n"
        '8,Spielplatz Kantpark,,,,"POLYGON ((6.76 51.43, 6.761 51.43, 6.761 51.4305, 6.76 51.43))"'
        "\n"
    )

    found = playgrounds_from_csv(text, "register.csv")

    assert [(p.id, p.geometry.geom_type) for p in found] == [("7", "Point"), ("8", "Polygon")]


def test_a_csv_line_with_a_bad_number_is_named_by_its_line() -> None:
    text = "id,name,lat,lon\n1,A,51.43,6.76\n2,B,north,6.77\n"

    with pytest.raises(PlaygroundFileError, match=r"register.csv line 3: lat 'north' is not"):
        playgrounds_from_csv(text, "register.csv")


async def test_a_refused_file_stores_nothing(tmp_path: Path) -> None:
    store = InMemoryPlaygroundStore()
    bad = tmp_path / "bad.geojson"
    good = osm_feature("way/1", {"type": "Polygon", "coordinates": [RING]}, name="Gut")
    broken = osm_feature("way/2", {"type": "Polygon", "coordinates": [[[6.7, 51.4]]]})
    bad.write_text(json.dumps(osm_export(good, broken)), encoding="utf-8")

    with pytest.raises(PlaygroundFileError, match="feature 2 \\(id way-2\\)"):
        await import_playgrounds(store, bad)

    assert store.playgrounds == {}


async def test_importing_the_example_again_changes_nothing() -> None:
    store = InMemoryPlaygroundStore()
    first = await import_playgrounds(store, EXAMPLE)
    stamp, writes = await store.stamp(), store.writes

    again = await import_playgrounds(store, EXAMPLE)

    assert first.added == len(store.playgrounds) >= 5
    assert (again.added, again.changed, again.unchanged) == (0, 0, first.added)
    assert (await store.stamp(), store.writes) == (stamp, writes)


async def test_a_reimport_keeps_staffs_closure_and_takes_a_new_name(tmp_path: Path) -> None:
    store = InMemoryPlaygroundStore()
    path = tmp_path / "register.geojson"
    feature = osm_feature("way/1", {"type": "Polygon", "coordinates": [RING]}, name="Alt")
    path.write_text(json.dumps(osm_export(feature)), encoding="utf-8")
    await import_playgrounds(store, path)
    await store.set_closed("way-1", True, "clerk", NOW)
    feature["properties"] = {"@id": "way/1", "name": "Neu"}
    path.write_text(json.dumps(osm_export(feature)), encoding="utf-8")

    outcome = await import_playgrounds(store, path)

    assert outcome.changed == 1
    assert (store.playgrounds["way-1"].name, store.playgrounds["way-1"].closed_for_repair) == (
        "Neu",
        True,
    )


def test_the_departments_work_order_names_the_playground_the_report_carries() -> None:
    kantpark = PlaygroundRef(id="example-kantpark", name="Spielplatz Kantpark")
    submitted = ReportSubmitted(
        report_id="R",
        jurisdiction="duisburg",
        category=CategoryRef(code="playground_damage", names={}, group="playgrounds"),
        description="Schaukelkette gerissen",
        location=Location(lat=51.4294, lon=6.7668),
        playground=kantpark,
    )
    department = load_directory().get("stadt-licht")
    assert department is not None

    assert work_item(submitted, department, NOW).playground == kantpark
