"""Assets: reading CSV and GeoJSON, snapping a place to the nearest asset in metres, poles."""

import json
import math
from pathlib import Path

import pytest

from stadtmelder_routing.assets import (
    Asset,
    AssetImportError,
    AssetRegistry,
    asset_for_report,
    assets_from_csv,
    assets_from_geojson,
    read_asset_file,
)
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.geo import distance_m
from tests.examples import KOENIGSTRASSE

KOENIG = Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1])
METRES_PER_DEGREE_LAT = math.pi * 6_371_008.8 / 180

CSV = """id,type,lat,lon,owner,pole_number,equipment,kind,street
sl-1,street_light,51.4325,6.7652,city,DU 4711,,,Königstraße
pg-1,playground,51.4330,6.7700,,,swing; slide;,,
c-1,container,51.4340,6.7600,private,,,clothes,
"""


def moved(place: Location, north_m: float = 0.0, east_m: float = 0.0) -> Location:
    """A place the given metres north and east of another (exact enough for metres)."""
    dlat = north_m / METRES_PER_DEGREE_LAT
    dlon = east_m / (METRES_PER_DEGREE_LAT * math.cos(math.radians(place.lat)))
    return Location(lat=place.lat + dlat, lon=place.lon + dlon)


def a_light(asset_id: str, place: Location, pole: str = "1", owner: str = "city") -> Asset:
    return Asset(asset_id, "street_light", place, owner, {"pole_number": pole})


# --- import -------------------------------------------------------------------------------------


def test_a_csv_file_gives_assets_with_their_type_owner_and_details() -> None:
    light, playground, container = assets_from_csv(CSV, "assets.csv")

    assert light == Asset(
        "sl-1",
        "street_light",
        KOENIG,
        "city",
        {"pole_number": "DU 4711", "street": "Königstraße"},
    )
    assert (playground.type, playground.owner, playground.equipment) == (
        "playground",
        "city",
        ("swing", "slide"),
    )
    assert (container.owner, container.container_kind) == ("private", "clothes")


def test_a_geojson_file_of_points_gives_assets(tmp_path: Path) -> None:
    path = tmp_path / "spielplaetze.geojson"
    features = [
        {
            "type": "Feature",
            "id": "pg-7",
            "properties": {"equipment": ["swing", "sandpit"], "name": "Kantpark"},
            "geometry": {"type": "Point", "coordinates": [6.7712, 51.4318]},
        }
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    [playground] = read_asset_file(path, "playground")

    assert playground.id == "pg-7"
    assert playground.location == Location(lat=51.4318, lon=6.7712)
    assert playground.equipment == ("swing", "sandpit")
    assert playground.properties["name"] == "Kantpark"


def test_a_csv_file_is_recognised_by_its_suffix(tmp_path: Path) -> None:
    path = tmp_path / "masten.csv"
    path.write_text("id,lat,lon,pole_number\nsl-9,51.43,6.76,9\n", encoding="utf-8")

    [light] = read_asset_file(path, "street_light")

    assert (light.type, light.pole_number) == ("street_light", "9")


def test_bad_rows_are_rejected_together_each_named_with_its_problem() -> None:
    text = (
        "id,type,lat,lon,pole_number,kind\n"
        "sl-1,street_light,51.43,6.76,1,\n"
        "sl-2,street_light,abc,6.76,2,\n"
        "sl-3,street_light,51.43,6.76,,\n"
        "c-1,container,51.43,6.76,,plastic\n"
        "sl-1,street_light,51.44,6.76,4,\n"
        "x-1,bench,51.43,6.76,,\n"
    )

    with pytest.raises(AssetImportError) as rejected:
        assets_from_csv(text, "masten.csv")

    message = str(rejected.value)
    assert message.startswith("masten.csv: 5 bad row(s), nothing imported")
    assert "masten.csv line 3: lat 'abc' is not a number" in message
    assert "masten.csv line 4: a street light needs a pole_number" in message
    assert "masten.csv line 5: container kind must be one of glass" in message
    assert "masten.csv line 6: id 'sl-1' was already used on masten.csv line 2" in message
    assert "masten.csv line 7: type 'bench' is not one of" in message


def test_a_row_of_another_type_than_the_import_is_rejected() -> None:
    text = "id,type,lat,lon,pole_number\nsl-1,street_light,51.43,6.76,1\n"

    with pytest.raises(AssetImportError, match="line 2: type 'street_light' but the import is for"):
        assets_from_csv(text, "spielplaetze.csv", "playground")


def test_coordinates_out_of_range_are_rejected() -> None:
    text = "id,lat,lon,pole_number\nsl-1,151.43,6.76,1\n"

    with pytest.raises(AssetImportError, match=r"line 2: lat '151\.43' is out of range"):
        assets_from_csv(text, "masten.csv", "street_light")


def test_a_feature_that_is_not_a_point_is_rejected_by_its_number() -> None:
    line = {"type": "LineString", "coordinates": [[6.76, 51.43], [6.77, 51.43]]}
    point = {"type": "Point", "coordinates": [6.76, 51.43]}
    features = [
        {"type": "Feature", "id": "pg-1", "properties": {}, "geometry": point},
        {"type": "Feature", "id": "pg-2", "properties": {}, "geometry": line},
    ]
    document = {"type": "FeatureCollection", "features": features}

    with pytest.raises(AssetImportError, match=r"spielplaetze\.json feature 2: .* not a Point"):
        assets_from_geojson(document, "spielplaetze.json", "playground")


def test_a_file_without_the_needed_columns_is_rejected() -> None:
    with pytest.raises(AssetImportError, match="header lacks lat, lon"):
        assets_from_csv("id,x,y\n1,2,3\n", "masten.csv", "street_light")


# --- snapping -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("north_m", "east_m"), [(29.5, 0), (0, 29.5), (-20.8, 20.8)])
def test_a_place_snaps_to_a_light_just_within_the_distance_in_every_direction(
    north_m: float, east_m: float
) -> None:
    registry = AssetRegistry([a_light("sl-1", KOENIG)])

    assert registry.snap("street_light", moved(KOENIG, north_m, east_m), 30) == registry.find(
        "sl-1"
    )


@pytest.mark.parametrize(("north_m", "east_m"), [(30.5, 0), (0, 30.5), (-21.6, 21.6)])
def test_a_place_does_not_snap_to_a_light_just_beyond_the_distance(
    north_m: float, east_m: float
) -> None:
    registry = AssetRegistry([a_light("sl-1", KOENIG)])

    assert registry.snap("street_light", moved(KOENIG, north_m, east_m), 30) is None


def test_distances_are_metres_at_duisburgs_latitude() -> None:
    assert distance_m(KOENIG, moved(KOENIG, east_m=1000)) == pytest.approx(1000, abs=0.5)
    assert distance_m(KOENIG, moved(KOENIG, north_m=1000)) == pytest.approx(1000, abs=0.5)


def test_snapping_takes_the_nearest_asset_of_the_asked_type() -> None:
    place = moved(KOENIG, north_m=5)
    registry = AssetRegistry(
        [
            a_light("sl-far", moved(place, east_m=20)),
            a_light("sl-near", moved(place, east_m=-12)),
            Asset("c-1", "container", place, "city", {"kind": "glass"}),
        ]
    )

    nearest = registry.snap("street_light", place, 30)

    assert nearest is not None
    assert nearest.id == "sl-near"
    assert registry.snap("playground", place, 1000) is None


def test_equally_near_assets_resolve_to_the_lower_id() -> None:
    registry = AssetRegistry(
        [a_light("sl-b", moved(KOENIG, north_m=10)), a_light("sl-a", moved(KOENIG, north_m=-10))]
    )

    nearest = registry.snap("street_light", KOENIG, 30)

    assert nearest is not None
    assert nearest.id == "sl-a"


# --- pole numbers and the asset of a report -----------------------------------------------------


def test_a_pole_number_finds_its_light_whatever_the_spacing_and_case() -> None:
    registry = AssetRegistry([a_light("sl-1", KOENIG, pole="DU 4711")])

    found = registry.find_by_pole_number(" du4711 ")

    assert found is not None
    assert found.id == "sl-1"
    assert registry.find_by_pole_number("4712") is None


def test_a_pole_number_used_twice_needs_a_place_to_choose() -> None:
    near, far = moved(KOENIG, north_m=100), moved(KOENIG, north_m=3000)
    registry = AssetRegistry([a_light("sl-1", far, pole="12"), a_light("sl-2", near, pole="12")])

    assert registry.find_by_pole_number("12") is None
    chosen = registry.find_by_pole_number("12", near=KOENIG)
    assert chosen is not None
    assert chosen.id == "sl-2"


def test_a_street_light_report_names_its_pole_even_if_another_stands_nearer() -> None:
    registry = AssetRegistry(
        [a_light("sl-1", moved(KOENIG, north_m=2), "1"), a_light("sl-2", moved(KOENIG, 40), "2")]
    )

    asset = asset_for_report(registry, "street_light_out", KOENIG, {"pole_number": "2"})

    assert asset is not None
    assert asset.id == "sl-2"


def test_a_pole_number_far_from_the_place_is_distrusted_and_the_place_snaps() -> None:
    registry = AssetRegistry(
        [a_light("sl-1", moved(KOENIG, north_m=2), "1"), a_light("sl-2", moved(KOENIG, 900), "2")]
    )

    asset = asset_for_report(registry, "street_light_damaged", KOENIG, {"pole_number": "2"})

    assert asset is not None
    assert asset.id == "sl-1"


def test_reports_find_playgrounds_and_containers_by_snapping_but_roads_have_no_asset() -> None:
    playground = Asset("pg-1", "playground", moved(KOENIG, east_m=60), "city", {})
    container = Asset("c-1", "container", moved(KOENIG, east_m=-10), "city", {"kind": "paper"})
    registry = AssetRegistry([playground, container])

    assert asset_for_report(registry, "playground_damage", KOENIG, {}) == playground
    assert asset_for_report(registry, "container_full", KOENIG, {}) == container
    assert asset_for_report(registry, "road_damage", KOENIG, {}) is None
    assert asset_for_report(registry, "container_full", None, {}) is None
