"""Which area alert a new report concerns: circles in metres, districts, categories, time."""

import json
import math
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from shapely.geometry import shape

from stadtmelder_notify.alerts.domain import (
    DigestItem,
    NewReport,
    Subscription,
    concerns,
    digests,
    first_undue_day,
    load_districts,
)
from stadtmelder_shared.alert_areas import AlertArea
from stadtmelder_shared.event_values import CategoryRef, DepartmentRef, Location
from stadtmelder_shared.geo import EARTH_RADIUS_M
from tests.examples import DUESSELDORF_ALTSTADT, KOENIGSTRASSE, OSM_DIRECTORY

BERLIN = ZoneInfo("Europe/Berlin")
CONFIRMED_AT = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
CENTRE = Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1])
LIGHT = CategoryRef(code="street_light_out", names={"de": "Laterne dunkel", "en": "Light out"})
ROAD = CategoryRef(code="road_damage", names={"de": "Straßenschaden", "en": "Road damage"})
DISTRICT_FILES = {
    "district-100": "100_walsum.json",
    "district-200": "200_hamborn.json",
    "district-300": "300_meiderich-beeck.json",
    "district-400": "400_homberg-ruhrort-baerl.json",
    "district-500": "500_duisburg-mitte.json",
    "district-600": "600_rheinhausen.json",
    "district-700": "700_duisburg-sued.json",
}
DISTRICTS = load_districts()


def moved(origin: Location, north_m: float = 0, east_m: float = 0) -> Location:
    """The place `north_m` north and `east_m` east of `origin`, on the sphere the app uses."""
    lat = origin.lat + math.degrees(north_m / EARTH_RADIUS_M)
    lon = origin.lon + math.degrees(east_m / (EARTH_RADIUS_M * math.cos(math.radians(origin.lat))))
    return Location(lat=lat, lon=lon)


def inside(district: str) -> Location:
    """A point well inside the district, taken from the official OSM outline, not ours."""
    path = OSM_DIRECTORY / DISTRICT_FILES[district]
    if not path.exists():
        pytest.skip(f"the OSM district boundaries are not at {OSM_DIRECTORY}")
    point = shape(json.loads(path.read_text(encoding="utf-8"))).representative_point()
    return Location(lat=point.y, lon=point.x)


def an_alert(
    *,
    centre: Location | None = CENTRE,
    radius_m: float | None = 500,
    district: str | None = None,
    category: CategoryRef | None = None,
    status: str = "confirmed",
) -> Subscription:
    return Subscription(
        id="alert-1",
        jurisdiction="duisburg",
        status=status,  # type: ignore[arg-type]
        language="de",
        area=AlertArea(None, None, district) if district else AlertArea(centre, radius_m),
        category=category,
        frequency="immediately",
        requested_at=CONFIRMED_AT - timedelta(minutes=5),
        email="nachbarin@example.org",
        token="token-1",
        confirmed_at=CONFIRMED_AT if status == "confirmed" else None,
    )


def a_report(
    location: Location = CENTRE,
    category: CategoryRef = LIGHT,
    routed_at: datetime = CONFIRMED_AT + timedelta(hours=1),
    report_id: str = "ABCDE-12345",
) -> NewReport:
    return NewReport(
        id=report_id,
        jurisdiction="duisburg",
        category=category,
        location=location,
        address=None,
        department=DepartmentRef(id="stadt-licht", name="Straßenbeleuchtung"),
        routed_at=routed_at,
    )


@pytest.mark.parametrize(
    ("north_m", "east_m", "expected"),
    [
        (499.5, 0, True),
        (500.5, 0, False),
        (0, 499.5, True),  # a degree of longitude is only ~69 km here, not ~111 km
        (0, 500.5, False),
        (-353, -353, True),  # 499.2 m south-west
        (-354.2, -354.2, False),  # 500.9 m south-west
    ],
)
def test_a_circle_alert_takes_reports_up_to_its_radius_in_metres(
    north_m: float, east_m: float, expected: bool
) -> None:
    report = a_report(moved(CENTRE, north_m, east_m))

    assert concerns(an_alert(radius_m=500), report, DISTRICTS.at(report.location)) is expected


def test_the_largest_circle_reaches_five_kilometres_and_no_further() -> None:
    alert = an_alert(radius_m=5000)

    assert concerns(alert, a_report(moved(CENTRE, north_m=4990)), None)
    assert not concerns(alert, a_report(moved(CENTRE, north_m=5010)), None)


@pytest.mark.parametrize("district", DISTRICT_FILES)
def test_a_place_inside_an_official_district_lies_in_our_district_of_that_id(
    district: str,
) -> None:
    assert DISTRICTS.at(inside(district)) == district


def test_a_district_alert_takes_reports_in_its_district_only() -> None:
    alert = an_alert(district="district-500")

    assert concerns(alert, a_report(inside("district-500")), DISTRICTS.at(inside("district-500")))
    for other in ("district-100", "district-600", "district-700"):
        place = inside(other)
        assert not concerns(alert, a_report(place), DISTRICTS.at(place))


def test_a_place_outside_the_city_lies_in_no_district() -> None:
    assert DISTRICTS.at(Location(lat=DUESSELDORF_ALTSTADT[0], lon=DUESSELDORF_ALTSTADT[1])) is None


def test_the_districts_have_their_names() -> None:
    assert DISTRICTS.ids() == sorted(DISTRICT_FILES)
    assert DISTRICTS.name("district-500") == "Mitte"


def test_an_alert_for_one_category_ignores_reports_of_others() -> None:
    alert = an_alert(category=LIGHT)

    assert concerns(alert, a_report(category=LIGHT), None)
    assert not concerns(alert, a_report(category=ROAD), None)
    assert concerns(an_alert(category=None), a_report(category=ROAD), None)


@pytest.mark.parametrize("status", ["requested", "cancelled"])
def test_an_alert_that_is_not_confirmed_concerns_no_report(status: str) -> None:
    assert not concerns(an_alert(status=status), a_report(), None)


def test_reports_routed_before_the_confirmation_are_not_news() -> None:
    alert = an_alert()

    assert not concerns(alert, a_report(routed_at=CONFIRMED_AT - timedelta(seconds=1)), None)
    assert concerns(alert, a_report(routed_at=CONFIRMED_AT), None)


def test_reports_of_another_city_are_not_news() -> None:
    report = a_report()
    elsewhere = NewReport(**{**report.__dict__, "jurisdiction": "essen"})

    assert not concerns(an_alert(), elsewhere, None)


@pytest.mark.parametrize(
    ("local", "first_undue"),
    [
        (datetime(2026, 11, 28, 6, 59, tzinfo=BERLIN), date(2026, 11, 27)),
        (datetime(2026, 11, 28, 7, 0, tzinfo=BERLIN), date(2026, 11, 28)),
        (datetime(2026, 11, 28, 0, 30, tzinfo=BERLIN), date(2026, 11, 27)),
        # 23:30 UTC in summer is already 01:30 of the next day in Duisburg.
        (datetime(2026, 7, 1, 23, 30, tzinfo=UTC), date(2026, 7, 1)),
    ],
)
def test_yesterdays_digest_is_due_from_seven_in_the_morning_local_time(
    local: datetime, first_undue: date
) -> None:
    assert first_undue_day(local, BERLIN, time(7, 0)) == first_undue


def test_a_digest_holds_each_report_once_per_subscription_and_day_in_routing_order() -> None:
    day = date(2026, 11, 27)
    late = a_report(report_id="LATER-00001", routed_at=CONFIRMED_AT + timedelta(hours=3))
    early = a_report(report_id="EARLY-00001", routed_at=CONFIRMED_AT + timedelta(hours=1))
    items = [
        DigestItem("alert-b", day, late),
        DigestItem("alert-a", day, late),
        DigestItem("alert-a", day, early),
        DigestItem("alert-a", day, early),  # queued twice: still once in the digest
        DigestItem("alert-a", day + timedelta(days=1), late),
    ]

    grouped = digests(items)

    assert list(grouped) == [
        ("alert-a", day),
        ("alert-a", day + timedelta(days=1)),
        ("alert-b", day),
    ]
    assert [r.id for r in grouped[("alert-a", day)]] == ["EARLY-00001", "LATER-00001"]
