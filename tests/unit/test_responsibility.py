"""The responsibility model: Duisburg's routing table, overlaps, and the shipped areas and rules."""

import json
import random
from pathlib import Path

import pytest
import shapely
from shapely import box
from shapely.geometry import shape

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_routing.assets import Asset
from stadtmelder_routing.responsibility import (
    DEFAULT_DIRECTORY,
    Area,
    Decision,
    ResponsibilityDataError,
    ResponsibilityModel,
    Rule,
    load_model,
    read_area_file,
    read_rules,
)
from stadtmelder_shared.areas import DEFAULT_AREAS_FILE
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_values import Location
from tests.examples import KOENIGSTRASSE, OSM_DIRECTORY

DISTRICT_FILES = {
    "district-100": "100_walsum.json",
    "district-200": "200_hamborn.json",
    "district-300": "300_meiderich-beeck.json",
    "district-400": "400_homberg-ruhrort-baerl.json",
    "district-500": "500_duisburg-mitte.json",
    "district-600": "600_rheinhausen.json",
    "district-700": "700_duisburg-sued.json",
}
CITY_WIDE = {
    "street_light_out": "stadt-licht",
    "street_light_damaged": "stadt-licht",
    "playground_litter": "wbd-gruen",
    "playground_damage": "wbd-gruen",
    "road_damage": "wbd-strasse",
    "container_full": "wbd-abfall",
    "tree_green_damage": "wbd-gruen",
}
# Where a district has its own rule: (district, category) -> (department, rule).
DISTRICT_RULES = {
    ("district-100", "street_light_out"): ("wbd-strasse", "rule:street_light_*@district-100"),
    ("district-100", "street_light_damaged"): ("wbd-strasse", "rule:street_light_*@district-100"),
    ("district-600", "street_light_out"): ("wbd-strasse", "rule:street_light_*@district-600"),
    ("district-600", "street_light_damaged"): ("wbd-strasse", "rule:street_light_*@district-600"),
    ("district-500", "playground_litter"): ("wbd-abfall", "rule:playground_litter@district-500"),
}
ROUTING_TABLE = [
    (
        district,
        category,
        *DISTRICT_RULES.get((district, category), (department, f"rule:{category}")),
    )
    for district in DISTRICT_FILES
    for category, department in CITY_WIDE.items()
]


@pytest.fixture(scope="module")
def model() -> ResponsibilityModel:
    return load_model(departments=load_directory())


def inside(district: str) -> Location:
    """A point well inside the district, taken from the official OSM outline, not ours."""
    path = OSM_DIRECTORY / DISTRICT_FILES[district]
    if not path.exists():
        pytest.skip(f"the OSM district boundaries are not at {OSM_DIRECTORY}")
    point = shape(json.loads(path.read_text(encoding="utf-8"))).representative_point()
    return Location(lat=point.y, lon=point.x)


def a_pole(owner: str, location: Location) -> Asset:
    return Asset("sl-1", "street_light", location, owner, {"pole_number": "DU-1"})


@pytest.mark.parametrize(("district", "category", "department", "rule"), ROUTING_TABLE)
def test_a_report_inside_a_district_goes_to_the_department_of_its_rule(
    model: ResponsibilityModel, district: str, category: str, department: str, rule: str
) -> None:
    decision = model.decide(category, inside(district))

    assert decision == Decision(department, rule, district)


def test_a_report_inside_a_district_lies_in_that_district_and_the_city(
    model: ResponsibilityModel,
) -> None:
    for district in DISTRICT_FILES:
        assert [area.id for area in model.areas_at(inside(district))] == [district, "city-000"]


def test_an_address_only_report_is_routed_by_rules_without_an_area(
    model: ResponsibilityModel,
) -> None:
    assert model.decide("street_light_out", None) == Decision(
        "stadt-licht", "rule:street_light_out", None
    )
    assert model.decide("playground_litter", None) == Decision(
        "wbd-gruen", "rule:playground_litter", None
    )


def test_an_address_only_report_about_a_known_pole_is_routed_by_where_the_pole_stands(
    model: ResponsibilityModel,
) -> None:
    pole = a_pole("city", inside("district-600"))

    decision = model.decide("street_light_out", None, pole)

    assert decision == Decision("wbd-strasse", "rule:street_light_*@district-600", "district-600")


def test_a_private_pole_goes_to_triage_even_where_a_district_has_its_own_rule(
    model: ResponsibilityModel,
) -> None:
    rheinhausen = inside("district-600")

    private = model.decide("street_light_damaged", rheinhausen, a_pole("private", rheinhausen))
    city_owned = model.decide("street_light_damaged", rheinhausen, a_pole("city", rheinhausen))

    assert private == Decision("triage", "rule:street_light_*[owner=private]", "district-600")
    assert city_owned is not None
    assert city_owned.department_id == "wbd-strasse"


def test_a_private_container_goes_to_triage_but_other_categories_ignore_its_owner(
    model: ResponsibilityModel,
) -> None:
    place = Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1])
    container = Asset("c-1", "container", place, "private", {"kind": "clothes"})

    full = model.decide("container_full", place, container)
    dumping = model.decide("illegal_dumping", place, container)

    assert full is not None
    assert (full.department_id, full.rule) == (
        "triage",
        "rule:container_full[type=container][owner=private]",
    )
    assert dumping is not None
    assert dumping.department_id == "wbd-abfall"


@pytest.mark.parametrize("category", ["other", "something_new"])
def test_a_category_without_any_rule_is_not_routed(
    model: ResponsibilityModel, category: str
) -> None:
    place = Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1])

    assert model.decide(category, place) is None
    assert model.decide(category, None) is None


def test_a_place_outside_every_area_is_routed_by_rules_without_an_area(
    model: ResponsibilityModel,
) -> None:
    duesseldorf = Location(lat=51.2277, lon=6.7735)

    assert model.decide("road_damage", duesseldorf) == Decision(
        "wbd-strasse", "rule:road_damage", None
    )


# --- overlaps and precedence ----------------------------------------------------------------------

CITY = Area("city-1", "City", "city", box(0, 0, 10, 10))
WEST = Area("district-b", "West", "district", box(0, 0, 6, 10))
EAST = Area("district-a", "East", "district", box(4, 0, 10, 10))
IN_OVERLAP = Location(lat=5, lon=5)
ONLY_WEST = Location(lat=5, lon=1)


def decide_shuffled(
    areas: list[Area], rules: list[Rule], category: str, place: Location
) -> set[Decision | None]:
    """The decision for several input orders; a deterministic model gives one answer."""
    answers = set()
    for seed in range(5):
        shuffled_areas, shuffled_rules = areas[:], rules[:]
        random.Random(seed).shuffle(shuffled_areas)
        random.Random(seed).shuffle(shuffled_rules)
        answers.add(ResponsibilityModel(shuffled_areas, shuffled_rules).decide(category, place))
    return answers


def test_where_two_districts_overlap_the_lower_area_id_wins_among_equal_rules() -> None:
    rules = [Rule("road_damage", "west", "district-b"), Rule("road_damage", "east", "district-a")]

    answers = decide_shuffled([CITY, WEST, EAST], rules, "road_damage", IN_OVERLAP)

    assert answers == {Decision("east", "rule:road_damage@district-a", "district-a")}


def test_where_two_districts_overlap_a_higher_priority_wins_over_the_area_id() -> None:
    rules = [
        Rule("road_damage", "west", "district-b", priority=1),
        Rule("road_damage", "east", "district-a"),
    ]

    answers = decide_shuffled([CITY, WEST, EAST], rules, "road_damage", IN_OVERLAP)

    assert answers == {Decision("west", "rule:road_damage@district-b", "district-b")}


def test_a_district_rule_wins_over_a_city_rule_and_that_over_a_rule_without_area() -> None:
    rules = [
        Rule("road_damage", "anywhere"),
        Rule("road_damage", "city", "city-1"),
        Rule("road_damage", "west", "district-b"),
    ]

    assert decide_shuffled([CITY, WEST, EAST], rules, "road_damage", ONLY_WEST) == {
        Decision("west", "rule:road_damage@district-b", "district-b")
    }
    assert decide_shuffled([CITY, WEST, EAST], rules[:2], "road_damage", ONLY_WEST) == {
        Decision("city", "rule:road_damage@city-1", "city-1")
    }


def test_a_rule_without_area_reports_the_most_specific_area_of_the_place() -> None:
    rules = [Rule("road_damage", "anywhere")]

    assert decide_shuffled([CITY, WEST, EAST], rules, "road_damage", IN_OVERLAP) == {
        Decision("anywhere", "rule:road_damage", "district-a")
    }


def test_a_category_code_wins_over_a_prefix_pattern() -> None:
    rules = [Rule("street_light_*", "pattern"), Rule("street_light_out", "exact")]
    model = ResponsibilityModel([CITY], rules)

    out = model.decide("street_light_out", ONLY_WEST)
    damaged = model.decide("street_light_damaged", ONLY_WEST)

    assert out is not None
    assert out.department_id == "exact"
    assert damaged is not None
    assert damaged.department_id == "pattern"


def test_a_rule_for_an_asset_type_needs_an_asset_of_that_type() -> None:
    rules = [Rule("container_full", "owner", asset_type="container", asset_owner="private")]
    model = ResponsibilityModel([CITY], rules)
    private_light = Asset("x", "street_light", ONLY_WEST, "private", {"pole_number": "1"})

    assert model.decide("container_full", ONLY_WEST) is None
    assert model.decide("container_full", ONLY_WEST, private_light) is None


# --- data files -----------------------------------------------------------------------------------


def test_rules_naming_an_unknown_area_are_refused() -> None:
    with pytest.raises(ResponsibilityDataError, match="district-9"):
        ResponsibilityModel([CITY], [Rule("road_damage", "x", "district-9")])


def test_rules_naming_an_unknown_department_are_refused(tmp_path: Path) -> None:
    (tmp_path / "rules.json").write_text(
        json.dumps({"rules": [{"category": "road_damage", "department": "nobody"}]})
    )
    (tmp_path / "areas.geojson").write_text(DEFAULT_AREAS_FILE.read_text())

    with pytest.raises(ResponsibilityDataError, match="nobody"):
        load_model(tmp_path, departments=load_directory())


def test_a_rule_with_an_unknown_field_is_refused_naming_the_rule(tmp_path: Path) -> None:
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"rules": [{"category": "x", "department": "y", "aera": "z"}]}))

    with pytest.raises(ResponsibilityDataError, match=r"rules.json rule 1: unknown fields aera"):
        read_rules(path)


def test_the_shipped_rules_name_only_known_departments_and_categories() -> None:
    rules = read_rules(DEFAULT_DIRECTORY / "rules.json")
    directory = load_directory()
    codes = {category.code for category in load_jurisdiction().categories}

    assert all(directory.get(rule.department_id) is not None for rule in rules)
    for rule in rules:
        assert any(rule.applies_to(code) for code in codes), rule.id
        assert rule.is_pattern or rule.category in codes, rule.id
    assert not [rule for rule in rules if rule.is_pattern and rule.category == "*"]


def test_the_shipped_areas_are_the_city_and_seven_approximate_districts() -> None:
    areas = read_area_file(DEFAULT_AREAS_FILE)

    assert [(area.id, area.kind) for area in areas] == [
        ("city-000", "city"),
        *((district, "district") for district in DISTRICT_FILES),
    ]
    assert all(area.approximate for area in areas)
    assert all(area.geometry.is_valid for area in areas)
    assert all(shapely.get_num_coordinates(area.geometry) <= 61 for area in areas)
    city = areas[0].geometry
    assert all(city.covers(area.geometry) for area in areas[1:])


def test_the_shipped_areas_are_coarse_rounded_approximations_with_attribution() -> None:
    document = json.loads(DEFAULT_AREAS_FILE.read_text(encoding="utf-8"))

    for feature in document["features"]:
        coordinates = shapely.get_coordinates(shape(feature["geometry"]))
        assert (coordinates.round(4) == coordinates).all()
        assert "OpenStreetMap contributors" in feature["properties"]["attribution"]


def test_an_area_file_without_properties_takes_id_and_name_from_the_file_name() -> None:
    path = OSM_DIRECTORY / "300_meiderich-beeck.json"
    if not path.exists():
        pytest.skip(f"the OSM district boundaries are not at {OSM_DIRECTORY}")

    [area] = read_area_file(path, kind="district")

    assert (area.id, area.name, area.kind, area.approximate) == (
        "district-300",
        "Meiderich-Beeck",
        "district",
        False,
    )
    assert area.covers(inside("district-300"))


def test_a_numeric_id_property_becomes_kind_and_number(tmp_path: Path) -> None:
    path = tmp_path / "bezirke.geojson"
    triangle = {"type": "Polygon", "coordinates": [[[6.6, 51.4], [6.7, 51.4], [6.7, 51.3]]]}
    features = [
        {"type": "Feature", "properties": {"BEZIRK": number, "NAME": name}, "geometry": triangle}
        for number, name in [(600, "Rheinhausen"), ("100", "Walsum")]
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    areas = read_area_file(path, id_property="BEZIRK", name_property="NAME")

    assert [(area.id, area.name) for area in areas] == [
        ("district-600", "Rheinhausen"),
        ("district-100", "Walsum"),
    ]


def test_a_feature_without_an_id_is_refused_naming_the_feature(tmp_path: Path) -> None:
    path = tmp_path / "bezirke.geojson"
    triangle = {"type": "Polygon", "coordinates": [[[6.6, 51.4], [6.7, 51.4], [6.7, 51.3]]]}
    features = [
        {"type": "Feature", "properties": {"id": "a", "name": "A"}, "geometry": triangle},
        {"type": "Feature", "properties": {"name": "B"}, "geometry": triangle},
    ]
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}))

    with pytest.raises(ResponsibilityDataError, match=r"bezirke.geojson feature 2: .*'id'"):
        read_area_file(path)


def test_an_area_file_without_polygons_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "100_walsum.json"
    path.write_text(json.dumps({"type": "Point", "coordinates": [6.7, 51.5]}))

    with pytest.raises(ResponsibilityDataError, match="holds no polygon"):
        read_area_file(path)
