"""Known works in the register: a place inside or outside, planned, current or past works, the
checks of an imported file (nothing of a bad file is kept; the same file again changes nothing)
and the announcement of each change on `works.changed`, once per revision."""

import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from shapely.geometry import shape

from stadtmelder_reports.core.outbox import OutboxRelay
from stadtmelder_reports.works import importing
from stadtmelder_reports.works.commands import EXAMPLE_FILE
from stadtmelder_reports.works.domain import outline_of, works_from_values
from stadtmelder_reports.works.importing import WorksImportError, read_works_file
from stadtmelder_reports.works.service import Shown, WorksRegister
from stadtmelder_reports.works.store import WorksOutbox
from stadtmelder_shared import topics
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.works import WorksChanged, WorksIndex, phase_on
from tests.fakes import RecordingPublisher
from tests.works_fakes import InMemoryWorksStore

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)
TODAY = date(2026, 12, 7)
# Inside the example's Kanalsanierung Königstraße (current on TODAY), and just outside it.
KOENIGSTRASSE = Location(lat=51.4344, lon=6.7625)
BESIDE_KOENIGSTRASSE = Location(lat=51.4344, lon=6.7660)
# On the example's Fernwärme line, a corridor 12 m wide: 4 m off the line is inside, 20 m not.
ON_THE_LINE = Location(lat=51.4309, lon=6.7730)
RUHRORT_PLANNED = Location(lat=51.4540, lon=6.7315)
HOCHFELD_PAST = Location(lat=51.4157, lon=6.7565)


def feature(**properties: object) -> dict[str, object]:
    values: dict[str, object] = {
        "title": "Kanalsanierung",
        "operator": "Firma X",
        "from": "2026-12-01",
        "until": "2027-03-12",
    }
    values.update(properties)
    geometry = values.pop("geometry", {"type": "Polygon", "coordinates": [SQUARE]})
    return {"type": "Feature", "id": values.pop("id", "w-1"), "properties": values,
            "geometry": geometry}  # fmt: skip


SQUARE = [[6.76, 51.43], [6.77, 51.43], [6.77, 51.44], [6.76, 51.44], [6.76, 51.43]]


# Latitude first by mistake: the outline spans a degree of longitude.
SWAPPED_AXES = {
    "type": "Polygon",
    "coordinates": [[[51.43, 6.76], [51.44, 7.76], [51.43, 7.76], [51.43, 6.76]]],
}
BOW_TIE = {
    "type": "Polygon",
    "coordinates": [[[6.76, 51.43], [6.77, 51.44], [6.77, 51.43], [6.76, 51.44], [6.76, 51.43]]],
}


def collection(*features: dict[str, object]) -> dict[str, object]:
    return {"type": "FeatureCollection", "features": list(features)}


def example_index() -> WorksIndex:
    works = read_works_file(EXAMPLE_FILE)
    return WorksIndex((w.ref(), w.shape()) for w in works)


def test_a_place_inside_current_works_finds_them_and_one_beside_them_does_not() -> None:
    index = example_index()

    assert [w.id for w in index.at(KOENIGSTRASSE, TODAY)] == ["example-kanal-koenigstrasse"]
    assert index.at(BESIDE_KOENIGSTRASSE, TODAY) == []


def test_a_line_of_works_is_a_corridor_of_its_width() -> None:
    index = example_index()
    north_of_line = Location(lat=ON_THE_LINE.lat + 20 / 111_320, lon=ON_THE_LINE.lon)

    assert [w.id for w in index.at(ON_THE_LINE, TODAY)] == ["example-fernwaerme-friedrich-wilhelm"]
    assert index.at(north_of_line, TODAY) == []


def test_planned_works_are_found_but_past_works_say_nothing_about_the_street() -> None:
    index = example_index()

    assert [w.id for w in index.at(RUHRORT_PLANNED, TODAY)] == ["example-gehweg-ruhrort"]
    assert index.at(HOCHFELD_PAST, TODAY) == []
    assert index.at(HOCHFELD_PAST, date(2025, 6, 1))[0].id == "example-bruecke-hochfeld"


def test_the_phase_counts_both_the_first_and_the_last_day_as_under_way() -> None:
    first, last = date(2027, 1, 10), date(2027, 1, 20)

    assert phase_on(first, last, date(2027, 1, 9)) == "planned"
    assert phase_on(first, last, first) == "current"
    assert phase_on(first, last, last) == "current"
    assert phase_on(first, last, date(2027, 1, 21)) == "past"


def test_the_example_file_is_labelled_as_an_example_in_every_works() -> None:
    document = json.loads(EXAMPLE_FILE.read_text(encoding="utf-8"))

    assert "EXAMPLE" in document["name"]
    assert all(w.id.startswith("example-") for w in read_works_file(EXAMPLE_FILE))
    assert all("EXAMPLE" in w.description for w in read_works_file(EXAMPLE_FILE))


@pytest.mark.parametrize(
    ("properties", "problem"),
    [
        ({"title": ""}, "title is missing"),
        ({"operator": None}, "operator is missing"),
        ({"until": "2026-11-30"}, "until 2026-11-30 is before from 2026-12-01"),
        ({"from": "12.03.2027"}, "from '12.03.2027' is not a date"),
        ({"geometry": {"type": "Point", "coordinates": [6.76, 51.43]}}, "not a Polygon"),
        ({"geometry": None}, "the geometry is missing"),
        ({"geometry": SWAPPED_AXES}, "spans more than"),
        ({"geometry": BOW_TIE}, "not a valid polygon"),
        ({"id": "a b"}, "may hold only letters"),
    ],
)
def test_a_malformed_feature_is_refused_naming_the_feature_and_its_problem(
    properties: dict[str, object], problem: str
) -> None:
    good = feature(id="good-1")

    with pytest.raises(WorksImportError) as refused:
        importing.works_from_geojson(collection(good, feature(**properties)), "works.geojson")

    message = str(refused.value)
    assert "works.geojson: 1 bad row(s), nothing imported" in message
    assert "works.geojson feature 2" in message
    assert problem in message


def test_a_repeated_id_is_refused_with_where_it_was_first_used() -> None:
    repeated = r"feature 2 .*already used on works\.geojson feature 1"
    with pytest.raises(WorksImportError, match=repeated):
        importing.works_from_geojson(collection(feature(), feature()), "works.geojson")


def test_a_csv_row_takes_its_outline_as_wkt_and_a_line_as_a_corridor() -> None:
    text = (
        "id,title,operator,from,until,geometry,width_m\n"
        'c-1,Leitung,Stadtwerke,2026-12-01,2027-01-31,"LINESTRING (6.76 51.43, 6.77 51.43)",20\n'
    )

    (works,) = importing.works_from_csv(text, "works.csv")

    assert works.outline["type"] == "Polygon"
    width_deg = shape(works.outline).bounds[3] - shape(works.outline).bounds[1]
    assert width_deg * 111_320 == pytest.approx(20, abs=0.5)


def test_a_csv_without_the_required_columns_is_refused_whole() -> None:
    with pytest.raises(WorksImportError, match="the header lacks operator, geometry"):
        importing.works_from_csv("id,title,from,until\nx,y,2026-01-01,2026-02-01\n", "works.csv")


def test_width_is_refused_for_an_area_which_has_its_own_outline() -> None:
    with pytest.raises(ValueError, match="width_m applies only to a LineString"):
        outline_of({"type": "Polygon", "coordinates": [SQUARE]}, 12)


async def test_importing_a_bad_file_keeps_nothing_of_it(tmp_path: Path) -> None:
    path = tmp_path / "works.geojson"
    path.write_text(json.dumps(collection(feature(id="ok"), feature(id="bad", title=""))))
    store = InMemoryWorksStore()

    with pytest.raises(WorksImportError):
        await WorksRegister(store).import_works(read_works_file(path))

    assert store.kept == {}


async def test_importing_the_example_twice_changes_and_announces_nothing_the_second_time() -> None:
    store, kafka = InMemoryWorksStore(), RecordingPublisher()
    relay = OutboxRelay(WorksOutbox(store, "duisburg"), kafka)
    register = WorksRegister(store, on_changed=relay.wake, clock=lambda: NOW)

    first = await register.import_works(read_works_file(EXAMPLE_FILE))
    await relay.publish_hinted()
    published = list(kafka.published)
    second = await register.import_works(read_works_file(EXAMPLE_FILE))
    await relay.publish_hinted()
    await relay.publish_pending()

    assert (first.added, first.changed, first.unchanged) == (4, 0, 0)
    assert (second.added, second.changed, second.unchanged) == (0, 0, 4)
    assert store.writes == 4
    assert kafka.published == published
    assert {topic for topic, _ in published} == {topics.WORKS_CHANGED}
    assert sorted(e.works_id for _, e in published if isinstance(e, WorksChanged)) == sorted(
        w.id for w in read_works_file(EXAMPLE_FILE)
    )


async def test_an_edit_is_announced_as_the_next_revision_and_a_withdrawal_too() -> None:
    store, kafka = InMemoryWorksStore(), RecordingPublisher()
    relay = OutboxRelay(WorksOutbox(store, "duisburg"), kafka)
    register = WorksRegister(store, on_changed=relay.wake, clock=lambda: NOW)
    works = works_from_values(PROPERTIES | {"id": "w-1", "geometry": SQUARE_GEO})

    await register.save(works)
    await register.save(replace(works, ends_on=date(2027, 4, 1)))
    await register.withdraw("w-1")
    await relay.publish_pending()

    (event,) = [e for _, e in kafka.published if isinstance(e, WorksChanged)]
    assert (event.revision, event.withdrawn, event.ends_on) == (3, True, date(2027, 4, 1))
    assert event.event_id == "works-w-1-r3"
    assert await register.listed(Shown(since=date.min)) == []
    assert WorksIndex.of_events([event]).at(Location(lat=51.435, lon=6.765), TODAY) == []


SQUARE_GEO = {"type": "Polygon", "coordinates": [SQUARE]}
PROPERTIES = {"title": "Kanalsanierung", "operator": "Firma X", "from": "2026-12-01",
              "until": "2027-03-12"}  # fmt: skip


async def test_the_listing_keeps_works_overlapping_the_days_and_the_box() -> None:
    register = WorksRegister(InMemoryWorksStore(), clock=lambda: NOW)
    await register.import_works(read_works_file(EXAMPLE_FILE))

    from_today = await register.listed(Shown(since=TODAY))
    in_ruhrort = await register.listed(Shown(since=TODAY, bbox=(6.72, 51.45, 6.74, 51.46)))
    before_april = await register.listed(Shown(since=TODAY, until=date(2027, 3, 31)))

    assert "example-bruecke-hochfeld" not in [w.id for w in from_today]
    assert len(from_today) == 3
    assert [w.id for w in in_ruhrort] == ["example-gehweg-ruhrort"]
    assert "example-gehweg-ruhrort" not in [w.id for w in before_april]
