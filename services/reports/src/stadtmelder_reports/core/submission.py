"""How a citizen's submission becomes a report: the rules it must meet, each problem said as a
sentence the citizen can act on, and the ReportSubmitted event that announces it."""

from datetime import datetime

from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.categories import check_answers, labelled_answers
from stadtmelder_reports.core.domain import (
    ADDRESS_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    MAX_ANSWERS,
    MAX_PHOTOS,
    NewReport,
    PhotoRef,
    Report,
    StatusChange,
    Submission,
    token_hash,
)
from stadtmelder_reports.errors import FieldProblem, InvalidReport
from stadtmelder_reports.photos.cleaning import CleanPhoto
from stadtmelder_shared import topics
from stadtmelder_shared.contacts import seal_person
from stadtmelder_shared.data_keys import reporter_key_id
from stadtmelder_shared.event_values import Answer, Language, Location, Reporter
from stadtmelder_shared.report_events import ReportSubmitted
from stadtmelder_shared.sealing import seal
from stadtmelder_shared.translations import N_


def submit(
    submission: Submission,
    jurisdiction: Jurisdiction,
    photos: tuple[CleanPhoto, ...],
    now: datetime,
    report_id: str,
    tracking_token: str,
    data_key: bytes,
) -> NewReport:
    """A new report carrying the ReportSubmitted event that announces it, the contact data and
    tracking token in it sealed under `data_key`, the report's (docs/personal-data.md)."""
    category = jurisdiction.category(submission.category)
    if category is None:
        known = ", ".join(c.code for c in jurisdiction.categories)
        raise InvalidReport(
            [
                FieldProblem(
                    "category", f"Unknown category. Choose one of: {known}.", N_("err_category")
                )
            ]
        )
    problems = _description_problems(submission.description)
    location = submission.location or next((p.gps for p in photos if p.gps), None)
    address = (submission.address or "").strip() or None
    problems += _place_problems(location, address, jurisdiction)
    if len(photos) > MAX_PHOTOS:
        problems.append(FieldProblem("photos", f"Please send at most {MAX_PHOTOS} photos."))
    contact = _contact(submission.contact, submission.language)
    if contact is None and not category.anonymous_allowed:
        problems.append(
            FieldProblem(
                "contact",
                "For this kind of report the department needs a way to ask you back: "
                "please give an e-mail address or a phone number.",
            )
        )
    answers: dict[str, Answer] = {}
    if len(submission.answers) > MAX_ANSWERS:
        problems.append(
            FieldProblem(
                "answers",
                f"Send at most {MAX_ANSWERS} answers, one per question.",
                N_("err_answers"),
            )
        )
    else:
        try:
            answers = check_answers(category, submission.answers, submission.language)
        except InvalidReport as invalid:
            problems += invalid.problems
    if problems:
        raise InvalidReport(problems)
    report = Report(
        id=report_id,
        jurisdiction=jurisdiction.code,
        category=category.ref(),
        description=submission.description.strip(),
        location=location,
        address=address,
        answers=answers,
        language=submission.language,
        reporter=contact,
        created_at=now,
        photos=[
            PhotoRef(number, photo.media_type, photo.width, photo.height)
            for number, photo in enumerate(photos, start=1)
        ],
        tracking_token_hash=token_hash(tracking_token),
        client_id=submission.client_id,
    )
    event = ReportSubmitted(
        report_id=report.id,
        jurisdiction=report.jurisdiction,
        occurred_at=now,
        category=report.category,
        description=report.description,
        location=report.location,
        address=report.address,
        answers=report.answers,
        labelled_answers=labelled_answers(category, report.answers),
        photo_count=len(report.photos),
        language=report.language,
        reporter=seal_person(data_key, reporter_key_id(report.id), contact),
        # For the reporter's confirmation mail; the event leaves the document once published.
        tracking_token=seal(data_key, reporter_key_id(report.id), "tracking_token", tracking_token),
    )
    report.history.append(StatusChange("submitted", now, event.event_id))
    report.pending_events.append((topics.REPORTS_SUBMITTED, event))
    return NewReport(report, tracking_token, photos)


def _description_problems(description: str) -> list[FieldProblem]:
    if not description.strip():
        return [FieldProblem("description", "Please describe the defect.")]
    if len(description) > DESCRIPTION_MAX_LENGTH:
        return [
            FieldProblem(
                "description",
                f"The description is {len(description)} characters long; "
                f"please shorten it to at most {DESCRIPTION_MAX_LENGTH}.",
            )
        ]
    return []


def _place_problems(
    location: Location | None, address: str | None, jurisdiction: Jurisdiction
) -> list[FieldProblem]:
    if location is None and address is None:
        return [
            FieldProblem(
                "location",
                "Please say where the defect is: a point on the map (lat and lon), "
                "an address, or a photo that carries its position.",
            )
        ]
    if address is not None and len(address) > ADDRESS_MAX_LENGTH:
        return [
            FieldProblem(
                "address", f"Please shorten the address to {ADDRESS_MAX_LENGTH} characters."
            )
        ]
    if location is not None and not jurisdiction.boundary.contains(location):
        city = jurisdiction.names.get("en", jurisdiction.code)
        return [
            FieldProblem(
                "location",
                f"The point {location.lat:.5f}, {location.lon:.5f} lies outside the area of the "
                f"{city}. Please check the position, or report it to the city responsible there.",
            )
        ]
    return []


def _contact(contact: Reporter | None, language: Language) -> Reporter | None:
    if contact is None or not (contact.email or contact.phone):
        return None
    return contact.model_copy(update={"language": language})
