"""Domain objects in Open311's terms: statuses, services, definitions, requests, updates."""

from datetime import UTC, date, datetime, timedelta, timezone
from xml.etree import ElementTree

import pytest

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import OPEN_STATUSES, PhotoRef, Report, StatusChange
from stadtmelder_reports.open311 import schemas
from stadtmelder_reports.open311.errors import open311_field
from stadtmelder_reports.open311.xml import render_xml
from stadtmelder_shared.event_values import DepartmentRef, Location, Reporter, WorksRef

DUISBURG = load_jurisdiction()
CREATED = datetime(2026, 11, 20, 9, 30, 15, 123000, tzinfo=UTC)
BASE = "https://melder.example"


def a_report(**changes: object) -> Report:
    category = DUISBURG.category("road_damage")
    assert category is not None
    report = Report(
        id="ABCDE-12345",
        jurisdiction="duisburg",
        category=category.ref(),
        description="Tiefes Loch",
        location=Location(lat=51.4325, lon=6.7652),
        language="de",
        reporter=Reporter(email="anna@example.org", name="Anna", phone="0203 1"),
        created_at=CREATED,
        history=[StatusChange("submitted", CREATED, "e1")],
    )
    for name, value in changes.items():
        setattr(report, name, value)
    return report


@pytest.mark.parametrize("status", sorted(OPEN_STATUSES))
def test_every_open_domain_status_is_open(status: str) -> None:
    assert schemas.open311_status(status) == "open"


@pytest.mark.parametrize("status", ["resolved", "rejected", "duplicate", "closed"])
def test_other_statuses_are_closed(status: str) -> None:
    assert schemas.open311_status(status) == "closed"


def test_datetimes_are_w3c_with_offset_to_the_second() -> None:
    berlin = timezone(timedelta(hours=1))

    assert schemas.w3c_datetime(CREATED) == "2026-11-20T09:30:15+00:00"
    assert schemas.w3c_datetime(CREATED.astimezone(berlin)) == "2026-11-20T09:30:15+00:00"


def test_service_has_every_spec_field_with_its_type() -> None:
    category = DUISBURG.category("road_damage")
    assert category is not None

    service = schemas.service(category, DUISBURG, "en")

    assert list(service) == [
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    ]
    assert service["service_name"] == category.names["en"]
    assert service["metadata"] is True
    assert service["type"] == "realtime"
    assert isinstance(service["keywords"], str)
    assert service["group"] == next(g for g in DUISBURG.groups if g.code == "roads").names["en"]


def test_definition_attributes_follow_the_questions_in_order() -> None:
    category = DUISBURG.category("playground_litter")
    assert category is not None

    definition = schemas.service_definition(category, "de")

    assert definition["service_code"] == "playground_litter"
    found = definition["attributes"][0]
    assert set(found) == {
        "variable",
        "code",
        "datatype",
        "required",
        "datatype_description",
        "order",
        "description",
        "values",
    }
    assert (found["code"], found["datatype"], found["required"]) == (
        "found",
        "multivaluelist",
        True,
    )
    assert [a["order"] for a in definition["attributes"]] == sorted(
        a["order"] for a in definition["attributes"]
    )


def test_request_has_the_spec_fields_in_order_with_string_ids() -> None:
    request = schemas.service_request(a_report(), "de", BASE)

    assert list(request) == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    assert request["service_request_id"] == "ABCDE-12345"
    assert request["service_code"] == "road_damage"
    assert (request["lat"], request["long"]) == (51.4325, 6.7652)


def test_request_never_shows_the_reporter() -> None:
    text = repr(schemas.service_request(a_report(), "de", BASE, extensions=True))

    assert "anna@example.org" not in text
    assert "0203 1" not in text
    assert "Anna" not in text


def test_routed_request_names_its_department_and_first_photo() -> None:
    report = a_report(
        status="routed",
        department=DepartmentRef(id="wbd", name="WBD Straßen"),
        photos=[PhotoRef(1, "image/jpeg", 640, 480), PhotoRef(2, "image/png", 10, 10)],
    )

    request = schemas.service_request(report, "de", BASE, extensions=True)

    assert request["agency_responsible"] == "WBD Straßen"
    assert "WBD Straßen" in request["status_notes"]
    assert request["media_url"] == f"{BASE}/api/v1/reports/ABCDE-12345/photos/1"
    photos = request["extended_attributes"]["photos"]
    assert [p["media_url"].rsplit("/", 1)[1] for p in photos] == ["1", "2"]


def test_extended_request_with_photos_and_works_is_written_as_xml() -> None:
    works = WorksRef(
        id="kanal",
        title="Kanalsanierung",
        operator="Firma X",
        starts_on=date(2026, 11, 2),
        ends_on=date(2027, 3, 12),
    )
    report = a_report(photos=[PhotoRef(1, "image/jpeg", 640, 480)], works=[works])
    request = schemas.service_request(report, "de", BASE, extensions=True)

    root = ElementTree.fromstring(render_xml("service_requests", [request]))

    extended = root.find("request/extended_attributes")
    assert extended is not None
    assert extended.findtext("works/works/title") == "Kanalsanierung"
    assert extended.findtext("works/works/ends_on") == "2027-03-12"
    assert extended.findtext("photos/photo/media_url", "").endswith("/photos/1")


def test_updates_are_the_status_changes_inside_the_window() -> None:
    later = CREATED + timedelta(days=2)
    report = a_report(
        status="resolved",
        history=[StatusChange("submitted", CREATED, "e1"), StatusChange("resolved", later, "e2")],
    )

    updates = schemas.request_updates(
        report, "en", BASE, CREATED + timedelta(days=1), later + timedelta(days=1)
    )

    assert updates == [
        {
            "update_id": "e2",
            "service_request_id": "ABCDE-12345",
            "status": "closed",
            "updated_datetime": schemas.w3c_datetime(later),
            "description": "Fixed.",
            "media_url": None,
        }
    ]


@pytest.mark.parametrize(
    ("ours", "theirs"),
    [
        ("category", "service_code"),
        ("answers.size", "attribute[size]"),
        ("photos[2]", "media"),
        ("lon", "long"),
        ("address", "address_string"),
        ("description", "description"),
    ],
)
def test_problem_fields_use_open311_names(ours: str, theirs: str) -> None:
    assert open311_field(ours) == theirs
