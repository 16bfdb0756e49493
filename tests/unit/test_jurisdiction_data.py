"""The shipped Duisburg defaults: the category catalogue and the approximate city boundary."""

import json
import math
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar, cast

import pytest
import shapely
from shapely.geometry import Point, Polygon, shape
from shapely.geometry.base import BaseGeometry, BaseMultipartGeometry
from shapely.ops import unary_union

from tests.examples import OSM_DIRECTORY

REPOSITORY = Path(__file__).resolve().parents[2]
DUISBURG = REPOSITORY / "services/reports/src/stadtmelder_reports/jurisdictions/duisburg"
OSM = OSM_DIRECTORY
Geometry = TypeVar("Geometry", bound=BaseGeometry)

LANGUAGES = {"de", "en", "tr"}
DATATYPES = {"string", "number", "datetime", "text", "singlevaluelist", "multivaluelist"}
LIST_DATATYPES = {"singlevaluelist", "multivaluelist"}
REQUIRED_CATEGORIES = {
    "playground_damage",
    "playground_litter",
    "street_light_out",
    "street_light_damaged",
    "road_damage",
    "pavement_damage",
    "traffic_sign_damaged",
    "illegal_dumping",
    "container_full",
    "litter_bin_overflowing",
    "tree_green_damage",
    "graffiti",
    "other",
}
CODE = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")

# Well-known places in neighbouring cities, each at least 2 km outside Duisburg.
OUTSIDE = {
    "Düsseldorf Altstadt": (51.2277, 6.7735),
    "Essen Hbf": (51.4513, 7.0146),
    "Moers centre": (51.4516, 6.6262),
    "Oberhausen Hbf": (51.4745, 6.8516),
    "Krefeld Hbf": (51.3253, 6.5666),
}


def load_json(path: Path) -> Any:
    return json.loads(path.read_text(encoding="utf-8"))


CATALOGUE = load_json(DUISBURG / "categories.json")
CATEGORIES: list[dict[str, Any]] = CATALOGUE["categories"]
QUESTIONS = [
    pytest.param(category, question, id=f"{category['code']}.{question['code']}")
    for category in CATEGORIES
    for question in category["questions"]
]
STOP_QUESTIONS = [param for param in QUESTIONS if "stop" in cast(dict[str, Any], param.values[1])]


def translations(catalogue: dict[str, Any]) -> Iterator[tuple[str, Any]]:
    """Every translated text of the catalogue, with where it is."""
    yield "name", catalogue["name"]
    for group in catalogue["groups"]:
        yield f"{group['code']}.names", group["names"]
    for category in catalogue["categories"]:
        where = category["code"]
        yield f"{where}.names", category["names"]
        yield f"{where}.description", category["description"]
        for question in category["questions"]:
            at = f"{where}.{question['code']}"
            yield f"{at}.text", question["text"]
            if "help" in question:
                yield f"{at}.help", question["help"]
            for value in question.get("values", []):
                yield f"{at}.{value['key']}", value["names"]
            if "stop" in question:
                yield f"{at}.stop.advice", question["stop"]["advice"]


def test_the_catalogue_belongs_to_duisburg() -> None:
    assert CATALOGUE["jurisdiction"] == "duisburg"
    assert CATALOGUE["open311_jurisdiction_id"] == "duisburg.de"


def test_every_agreed_category_is_offered() -> None:
    assert {category["code"] for category in CATEGORIES} >= REQUIRED_CATEGORIES


def test_category_and_group_codes_are_unique_snake_case() -> None:
    for codes in ([c["code"] for c in CATEGORIES], [g["code"] for g in CATALOGUE["groups"]]):
        assert len(codes) == len(set(codes))
        assert all(CODE.match(code) for code in codes), codes


def test_every_category_belongs_to_a_known_group_and_every_group_is_used() -> None:
    groups = {group["code"] for group in CATALOGUE["groups"]}
    used = {category["group"] for category in CATEGORIES}
    assert used <= groups
    assert groups <= used


def test_every_text_citizens_read_exists_in_german_english_and_turkish() -> None:
    for where, text in translations(CATALOGUE):
        assert set(text) == LANGUAGES, where
        assert all(isinstance(t, str) and t.strip() == t and t for t in text.values()), where


def test_category_names_are_short() -> None:
    for category in CATEGORIES:
        for language, name in category["names"].items():
            assert len(name) <= 40, (category["code"], language, name)


def test_every_category_has_search_keywords_in_every_language() -> None:
    for category in CATEGORIES:
        keywords = category["keywords"]
        assert set(keywords) == LANGUAGES, category["code"]
        for language, words in keywords.items():
            assert words, (category["code"], language)
            assert all(isinstance(w, str) and w.strip() for w in words), (
                category["code"],
                language,
            )
            assert len(words) == len(set(words)), (category["code"], language)


def test_every_category_says_whether_anonymous_reports_are_allowed() -> None:
    assert all(isinstance(category["anonymous_allowed"], bool) for category in CATEGORIES)


def test_categories_ask_at_most_three_questions_with_unique_codes_in_order() -> None:
    for category in CATEGORIES:
        questions = category["questions"]
        codes = [question["code"] for question in questions]
        assert len(questions) <= 3, category["code"]
        assert len(codes) == len(set(codes)), category["code"]
        assert all(CODE.match(code) for code in codes), category["code"]
        assert [q["order"] for q in questions] == list(range(1, len(questions) + 1))


@pytest.mark.parametrize(("category", "question"), QUESTIONS)
def test_questions_use_open311_datatypes_and_only_lists_have_values(
    category: dict[str, Any], question: dict[str, Any]
) -> None:
    assert question["datatype"] in DATATYPES
    assert isinstance(question["required"], bool)
    if question["datatype"] in LIST_DATATYPES:
        keys = [value["key"] for value in question["values"]]
        assert keys
        assert len(keys) == len(set(keys))
        assert all(CODE.match(key) for key in keys)
    else:
        assert "values" not in question


@pytest.mark.parametrize(("category", "question"), STOP_QUESTIONS)
def test_a_stop_answer_is_one_of_the_offered_values(
    category: dict[str, Any], question: dict[str, Any]
) -> None:
    keys = {value["key"] for value in question["values"]}
    assert question["stop"]["values"]
    assert set(question["stop"]["values"]) <= keys


def test_the_catalogue_uses_every_open311_datatype() -> None:
    used = {question["datatype"] for category in CATEGORIES for question in category["questions"]}
    assert used == DATATYPES


@pytest.mark.parametrize(("category", "question"), STOP_QUESTIONS)
def test_stop_advice_gives_no_phone_number_but_the_emergency_numbers(
    category: dict[str, Any], question: dict[str, Any]
) -> None:
    for advice in question["stop"]["advice"].values():
        assert set(re.findall(r"\d+", advice)) <= {"110", "112"}, advice


def test_someone_in_danger_at_a_playground_is_sent_to_the_emergency_services() -> None:
    (playground,) = (c for c in CATEGORIES if c["code"] == "playground_damage")
    (danger,) = (q for q in playground["questions"] if q["code"] == "danger")
    assert danger["required"] is True
    assert danger["stop"]["values"] == ["yes"]
    assert "112" in danger["stop"]["advice"]["de"]


# The approximate boundary


BOUNDARY_FEATURE = load_json(DUISBURG / "boundary.geojson")
# test_the_boundary_is_one_labelled_approximate_polygon_without_holes checks what the cast claims.
APPROXIMATE = cast(Polygon, shape(BOUNDARY_FEATURE["geometry"]))


def osm_area(path: Path) -> BaseGeometry:
    return unary_union(list(cast(BaseMultipartGeometry, shape(load_json(path))).geoms))


def in_metres(geometry: Geometry) -> Geometry:
    """The geometry in a local plane with metres as units; good enough across the city's 25 km."""
    scale = [111_320 * math.cos(math.radians(51.45)), 110_574]
    return shapely.transform(geometry, lambda coordinates: coordinates * scale)


@pytest.fixture(scope="module")
def city() -> BaseGeometry:
    if not OSM.is_dir():
        pytest.skip(f"the OpenStreetMap reference data is not available at {OSM}")
    return osm_area(OSM / "000_duisburg.json")


def test_the_boundary_is_one_labelled_approximate_polygon_without_holes() -> None:
    assert BOUNDARY_FEATURE["type"] == "Feature"
    properties = BOUNDARY_FEATURE["properties"]
    assert properties["approximate"] is True
    assert properties["name"] == "Duisburg (approximate)"
    assert "OpenStreetMap contributors" in properties["source"]
    assert "ODbL" in properties["source"]
    assert "REPORTS_BOUNDARY_FILE" in properties["replace_with"]
    assert APPROXIMATE.geom_type == "Polygon"
    assert APPROXIMATE.is_valid
    assert not APPROXIMATE.interiors


def test_the_boundary_is_coarse_with_rounded_coordinates() -> None:
    coordinates = BOUNDARY_FEATURE["geometry"]["coordinates"][0]
    assert 30 <= len(coordinates) - 1 <= 60
    assert all(round(c, 4) == c for point in coordinates for c in point)


def test_the_boundary_covers_practically_all_of_the_city(city: BaseGeometry) -> None:
    assert city.intersection(APPROXIMATE).area / city.area >= 0.995


def test_no_place_in_the_city_is_rejected(city: BaseGeometry) -> None:
    assert APPROXIMATE.contains(city)


def test_places_up_to_100_m_beyond_the_city_border_are_accepted(city: BaseGeometry) -> None:
    assert in_metres(APPROXIMATE).exterior.distance(in_metres(city)) >= 100


@pytest.mark.parametrize("district", sorted(OSM.glob("[1-7]00_*.json")), ids=lambda p: p.stem)
def test_a_point_inside_each_district_is_in_the_city(district: Path) -> None:
    assert APPROXIMATE.contains(osm_area(district).representative_point())


def test_all_seven_districts_are_checked() -> None:
    if not OSM.is_dir():
        pytest.skip(f"the OpenStreetMap reference data is not available at {OSM}")
    assert len(list(OSM.glob("[1-7]00_*.json"))) == 7


@pytest.mark.parametrize(("lat", "lon"), OUTSIDE.values(), ids=OUTSIDE.keys())
def test_places_in_neighbouring_cities_are_outside(lat: float, lon: float) -> None:
    assert not APPROXIMATE.contains(Point(lon, lat))


@pytest.mark.parametrize(("lat", "lon"), OUTSIDE.values(), ids=OUTSIDE.keys())
def test_the_places_outside_are_well_clear_of_the_real_city(
    city: BaseGeometry, lat: float, lon: float
) -> None:
    assert in_metres(city).distance(in_metres(Point(lon, lat))) > 2_000
