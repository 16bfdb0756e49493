import re
from datetime import UTC, datetime

import pytest
from stadtmelder_reports.domain import (
    DESCRIPTION_MAX_LENGTH,
    DUISBURG_CATEGORIES,
    InvalidReport,
    Submission,
    new_report_id,
    submit,
)
from stadtmelder_shared import topics
from stadtmelder_shared.events import Location, ReportSubmitted

CATEGORIES = {c.code: c for c in DUISBURG_CATEGORIES}
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
INNER_HARBOUR = Location(lat=51.4380, lon=6.7700)


def a_submission(**changes: object) -> Submission:
    values: dict[str, object] = {
        "category": "street_light",
        "description": "Die Laterne vor Hausnummer 12 ist seit Tagen dunkel.",
        "location": INNER_HARBOUR,
        "email": "anna@example.org",
    }
    values.update(changes)
    return Submission(**values)  # type: ignore[arg-type]


def test_submitted_report_carries_the_event_that_announces_it() -> None:
    report = submit(a_submission(), CATEGORIES, "duisburg", NOW, "ABCDE-12345")

    assert report.status == "submitted"
    [(topic, event)] = report.pending_events
    assert topic == topics.REPORTS_SUBMITTED
    assert isinstance(event, ReportSubmitted)
    assert event.report_id == "ABCDE-12345"
    assert event.category.code == "street_light"
    assert event.reporter is not None
    assert event.reporter.email == "anna@example.org"
    assert [change.status for change in report.history] == ["submitted"]


def test_unknown_category_is_rejected_naming_the_field_and_the_choices() -> None:
    with pytest.raises(InvalidReport) as error:
        submit(a_submission(category="unicorns"), CATEGORIES, "duisburg", NOW, "X")

    [problem] = error.value.problems
    assert problem.field == "category"
    assert "street_light" in problem.reason


def test_blank_and_oversized_descriptions_are_rejected() -> None:
    for description in ("   ", "x" * (DESCRIPTION_MAX_LENGTH + 1)):
        with pytest.raises(InvalidReport) as error:
            submit(a_submission(description=description), CATEGORIES, "duisburg", NOW, "X")
        assert [p.field for p in error.value.problems] == ["description"]


def test_anonymous_report_has_no_reporter() -> None:
    report = submit(a_submission(email=None), CATEGORIES, "duisburg", NOW, "X")
    assert report.reporter is None


def test_report_ids_are_readable_and_unique() -> None:
    ids = {new_report_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", i) for i in ids)
