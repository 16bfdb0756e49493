import re
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from stadtmelder_reports.core.catalogue import Jurisdiction, load_jurisdiction
from stadtmelder_reports.core.categories import check_answers
from stadtmelder_reports.core.domain import (
    DESCRIPTION_MAX_LENGTH,
    Submission,
    new_report_id,
    probable_duplicates,
    token_hash,
)
from stadtmelder_reports.core.submission import submit
from stadtmelder_reports.errors import InvalidReport, ReportStopped
from stadtmelder_reports.photos.cleaning import clean_photo
from stadtmelder_shared import topics
from stadtmelder_shared.event_values import Location, Reporter
from stadtmelder_shared.report_events import ReportSubmitted
from stadtmelder_shared.sealing import new_data_key, open_sealed
from tests.examples import (
    DUESSELDORF_ALTSTADT,
    INNER_HARBOUR,
    KOENIGSTRASSE,
    geotagged_jpeg,
    valid_answers,
)

KEY = new_data_key()
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def duisburg() -> Jurisdiction:
    return load_jurisdiction()


def a_submission(duisburg: Jurisdiction, **changes: Any) -> Submission:
    category = changes.pop("category", "street_light_out")
    values: dict[str, Any] = {
        "category": category,
        "description": "Die Laterne vor Hausnummer 12 ist seit Tagen dunkel.",
        "location": Location(lat=INNER_HARBOUR[0], lon=INNER_HARBOUR[1]),
        "contact": Reporter(email="anna@example.org"),
    }
    values.update(changes)
    if "answers" not in values:
        values["answers"] = valid_answers(duisburg.category(category))
    return Submission(**values)


def file(duisburg: Jurisdiction, submission: Submission, photos: tuple[Any, ...] = ()) -> Any:
    return submit(submission, duisburg, photos, NOW, "ABCDE-12345", "secret-token", KEY)


@pytest.mark.parametrize(
    "code",
    [
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
    ],
)
def test_every_default_category_can_be_reported(duisburg: Jurisdiction, code: str) -> None:
    new = file(duisburg, a_submission(duisburg, category=code))
    [(topic, event)] = new.report.pending_events
    assert topic == topics.REPORTS_SUBMITTED
    assert isinstance(event, ReportSubmitted)
    assert event.category.code == code


def test_submitted_report_carries_its_event_and_a_hashed_tracking_token(
    duisburg: Jurisdiction,
) -> None:
    new = file(duisburg, a_submission(duisburg))

    assert new.tracking_token == "secret-token"
    assert new.report.tracking_token_hash == token_hash("secret-token")
    # The plain token waits only in the outbox event, for the reporter's confirmation mail;
    # the relay removes it from the document once published. The report keeps the hash.
    [(_, event)] = new.report.pending_events
    assert isinstance(event, ReportSubmitted)
    assert event.tracking_token is not None
    assert open_sealed(KEY, event.tracking_token, "tracking_token") == "secret-token"
    assert "secret-token" not in repr(replace(new.report, pending_events=[]))
    assert event.reporter is not None
    assert "anna@example.org" in open_sealed(KEY, event.reporter, "reporter")
    # Sealed under the report's key: neither is readable in the event as it travels.
    assert "secret-token" not in event.model_dump_json()
    assert "anna@example.org" not in event.model_dump_json()


def test_point_outside_duisburg_is_rejected_with_the_reason(duisburg: Jurisdiction) -> None:
    outside = Location(lat=DUESSELDORF_ALTSTADT[0], lon=DUESSELDORF_ALTSTADT[1])
    with pytest.raises(InvalidReport) as error:
        file(duisburg, a_submission(duisburg, location=outside))
    [problem] = error.value.problems
    assert problem.field == "location"
    assert "outside" in problem.reason


def test_unknown_category_is_rejected_naming_the_choices(duisburg: Jurisdiction) -> None:
    with pytest.raises(InvalidReport) as error:
        file(duisburg, a_submission(duisburg, category="unicorns", answers={}))
    [problem] = error.value.problems
    assert problem.field == "category"
    assert "street_light_out" in problem.reason


def test_blank_and_oversized_descriptions_are_rejected(duisburg: Jurisdiction) -> None:
    for description in ("   ", "x" * (DESCRIPTION_MAX_LENGTH + 1)):
        with pytest.raises(InvalidReport) as error:
            file(duisburg, a_submission(duisburg, description=description))
        assert [p.field for p in error.value.problems] == ["description"]


def test_a_missing_required_answer_names_the_question(duisburg: Jurisdiction) -> None:
    with pytest.raises(InvalidReport) as error:
        file(duisburg, a_submission(duisburg, category="container_full", answers={}))
    [problem] = error.value.problems
    assert problem.field == "answers.container_type"
    assert problem.reason.startswith("Please answer:")


def test_answers_are_checked_against_their_datatypes(duisburg: Jurisdiction) -> None:
    category = duisburg.category("street_light_out")
    assert category is not None
    clean = check_answers(category, {"lights_out": "3", "since": "2026-11-20T18:00"}, "de")
    assert clean == {"lights_out": 3.0, "since": "2026-11-20T18:00:00"}
    with pytest.raises(InvalidReport) as error:
        check_answers(category, {"lights_out": "many", "colour": "red"}, "de")
    assert {p.field for p in error.value.problems} == {"answers.lights_out", "answers.colour"}


def test_an_answer_that_means_danger_stops_the_report_with_advice(duisburg: Jurisdiction) -> None:
    answers = {**valid_answers(duisburg.category("road_damage")), "acute_danger": "yes"}
    with pytest.raises(ReportStopped) as stopped:
        file(duisburg, a_submission(duisburg, category="road_damage", answers=answers))
    assert "112" in stopped.value.advice["de"] or "110" in stopped.value.advice["de"]


def test_report_without_place_is_rejected_but_an_address_is_enough(duisburg: Jurisdiction) -> None:
    with pytest.raises(InvalidReport) as error:
        file(duisburg, a_submission(duisburg, location=None))
    assert [p.field for p in error.value.problems] == ["location"]

    new = file(duisburg, a_submission(duisburg, location=None, address="Königstraße 40"))
    assert new.report.location is None
    assert new.report.address == "Königstraße 40"


def test_a_geotagged_photo_gives_the_place_when_none_was_given(duisburg: Jurisdiction) -> None:
    photo = clean_photo(geotagged_jpeg(*KOENIGSTRASSE))
    new = file(duisburg, a_submission(duisburg, location=None), (photo,))

    assert new.report.location is not None
    assert new.report.location.lat == pytest.approx(KOENIGSTRASSE[0], abs=1e-4)
    assert new.report.location.lon == pytest.approx(KOENIGSTRASSE[1], abs=1e-4)
    assert len(new.report.photos) == 1


def test_categories_that_need_a_contact_refuse_anonymous_reports(duisburg: Jurisdiction) -> None:
    with pytest.raises(InvalidReport) as error:
        file(duisburg, a_submission(duisburg, category="other", contact=None, answers={}))
    assert [p.field for p in error.value.problems] == ["contact"]
    anonymous = file(duisburg, a_submission(duisburg, contact=None))
    assert anonymous.report.reporter is None


def test_report_ids_are_readable_and_unique() -> None:
    ids = {new_report_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{5}-[0-9A-HJKMNP-TV-Z]{5}", i) for i in ids)


def test_duplicates_are_open_reports_of_the_category_within_the_radius(
    duisburg: Jurisdiction,
) -> None:
    here = Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1])
    near = file(duisburg, a_submission(duisburg, location=here)).report
    other_kind = file(duisburg, a_submission(duisburg, location=here, category="graffiti")).report
    far_away = file(duisburg, a_submission(duisburg, location=Location(lat=51.44, lon=6.78))).report
    closed = file(duisburg, a_submission(duisburg, location=here)).report
    closed.status = "resolved"

    found = probable_duplicates([near, other_kind, far_away, closed], "street_light_out", here, 50)

    assert [(report, round(distance)) for report, distance in found] == [(near, 0)]


def test_the_submitted_event_carries_the_answers_with_their_labels_in_each_language(
    duisburg: Jurisdiction,
) -> None:
    answers = {"equipment": "swing", "danger": "no"}
    new = file(duisburg, a_submission(duisburg, category="playground_damage", answers=answers))

    [(_, event)] = new.report.pending_events
    assert isinstance(event, ReportSubmitted)
    shown = {
        language: [(line.question, line.answer) for line in lines]
        for language, lines in event.labelled_answers.items()
    }
    assert shown["de"] == [
        ("Welches Spielgerät ist beschädigt?", "Schaukel"),
        ("Ist gerade jemand in Gefahr, zum Beispiel verletzt oder eingeklemmt?", "Nein"),
    ]
    assert shown["tr"][0] == ("Hangi oyun aleti hasarlı?", "Salıncak")
