"""The report form as the browser sends it: read into a Submission, problems into sentences."""

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from babel.numbers import format_decimal
from email_validator import EmailNotValidError, validate_email

from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.categories import Category, localized
from stadtmelder_reports.core.domain import DESCRIPTION_MAX_LENGTH, Submission
from stadtmelder_reports.core.submission import submit
from stadtmelder_reports.errors import FieldProblem, InvalidReport
from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.event_values import Location, Reporter
from stadtmelder_shared.sealing import new_data_key

ANSWER_PREFIX = "answer."
MISSING = "missing"
# The map click, the device's location, a place from the address search, typed coordinates,
# and (set by the server) the position a photo carried.
PLACE_SOURCES = frozenset({"map", "device", "search", "typed", "photo"})


@dataclass
class ReportFormValues:
    """What the citizen typed, kept to show the form again after a problem."""

    description: str = ""
    address: str = ""
    lat: str = ""
    lon: str = ""
    contact: str = "email"
    email: str = ""
    name: str = ""
    phone: str = ""
    # A place chosen from the address search, as "lat,lon"; it sets the coordinates.
    place: str = ""
    # Where the coordinates came from (PLACE_SOURCES), so a message about the place says so.
    place_source: str = ""
    # "1" once the citizen said the report is not one of the open reports nearby: the one
    # thing that skips the server's duplicate check.
    different: str = ""
    answers: dict[str, Any] = field(default_factory=dict)

    @property
    def says_different(self) -> bool:
        return self.different == "1"


@dataclass
class ReadForm:
    values: ReportFormValues
    location: Location | None
    contact: Reporter | None
    problems: list[FieldProblem]


def _text(form: Any, key: str) -> str:
    value = form.get(key)
    return value.strip() if isinstance(value, str) else ""


def read_report_form(form: Any, category: Category, language: LanguageCode) -> ReadForm:
    """The submitted fields; coordinates and e-mail are checked here, the rest by the domain."""
    values = ReportFormValues(
        # Browsers send line breaks as CRLF; counted as one, as the form's counter does.
        description=_text(form, "description").replace("\r\n", "\n"),
        address=_text(form, "address"),
        lat=_text(form, "lat").replace(",", "."),
        lon=_text(form, "lon").replace(",", "."),
        contact=_text(form, "contact") or "email",
        email=_text(form, "email"),
        name=_text(form, "name"),
        phone=_text(form, "phone"),
        place=_text(form, "place"),
        place_source=_text(form, "place_source"),
        # The hidden field, or the "mine is different" button beside it.
        different="1" if "1" in form.getall("different", []) else "",
    )
    if values.place and "," in values.place:
        values.lat, values.lon = (part.strip() for part in values.place.split(",", 1))
        values.place_source = "search"
    if values.place_source not in PLACE_SOURCES:
        values.place_source = "typed" if values.lat or values.lon else ""
    for question in category.questions:
        key = ANSWER_PREFIX + question.code
        if question.datatype == "multivaluelist":
            chosen = [v for v in form.getall(key, []) if isinstance(v, str) and v]
            if chosen:
                values.answers[question.code] = chosen
        elif _text(form, key):
            values.answers[question.code] = _text(form, key)
    problems: list[FieldProblem] = []
    location = None
    if values.lat or values.lon:
        try:
            location = Location(lat=float(values.lat), lon=float(values.lon))
        except ValueError:
            problems.append(FieldProblem("coordinates", "not numbers"))
    contact = None
    anonymous = values.contact == "anonymous" and category.anonymous_allowed
    # "Tell me by e-mail" without an address would be stored as anonymous while the page
    # promised mail; where that choice is offered, it needs the address.
    if category.anonymous_allowed and not anonymous and not values.email:
        problems.append(FieldProblem("email", MISSING))
    if not anonymous and (values.email or values.phone):
        email = None
        if values.email:
            try:
                email = validate_email(values.email, check_deliverability=False).normalized
            except EmailNotValidError:
                problems.append(FieldProblem("email", "not an address"))
        contact = Reporter(
            email=email, name=values.name or None, phone=values.phone or None, language=language
        )
    return ReadForm(values, location, contact, problems)


def submission_of(read: ReadForm, category: Category, language: LanguageCode) -> Submission:
    return Submission(
        category=category.code,
        description=read.values.description,
        location=read.location,
        address=read.values.address or None,
        answers=read.values.answers,
        language=language,
        contact=read.contact,
    )


def every_problem(
    problems: list[FieldProblem],
    submission: Submission,
    jurisdiction: Jurisdiction,
    photos_chosen: bool,
) -> list[FieldProblem]:
    """The form's problems and the domain's, so a refused form says everything at once.

    The domain's rules run on the submission without storing anything. Raises ReportStopped
    when an answer means "call now": that advice comes before any problem.
    """
    try:
        # A throwaway key: nothing of this dry run is stored or sent.
        now = datetime.now(UTC)
        submit(submission, jurisdiction, (), now, "not-stored", "not-stored", new_data_key())
    except InvalidReport as invalid:
        return problems + [p for p in invalid.problems if _adds(p, problems, photos_chosen)]
    return problems


def _adds(problem: FieldProblem, already: list[FieldProblem], photos_chosen: bool) -> bool:
    # A photo's GPS position may still place the report; a wrong e-mail is said once.
    if problem.field == "location" and photos_chosen:
        return False
    return not (problem.field == "contact" and any(p.field == "email" for p in already))


def number_text(number: int, t: Words) -> str:
    """A count as the page's language writes it: 4.000 in German, 4,000 in English."""
    return format_decimal(number, locale=t.language)


def outside_the_city(place_source: str, t: Words) -> str:
    """ "Not in the city", saying where the place came from, so the citizen knows what to fix."""
    match place_source:
        case "photo":
            return t("err_outside_photo")
        case "map":
            return t("err_outside_map")
        case "device":
            return t("err_outside_device")
        case "search":
            return t("err_outside_search")
        case "typed":
            return t("err_outside_typed")
    return t("err_outside")


def explain(
    problems: list[FieldProblem],
    category: Category,
    t: Words,
    values: ReportFormValues | None = None,
) -> list[dict[str, str]]:
    """Each problem as a sentence in the page's language, with the field it belongs to."""
    values = values or ReportFormValues()
    questions = {q.code: q for q in category.questions}
    explained = []
    for problem in problems:
        name = problem.field
        if name == "description":
            key = "err_description_long" if "shorten" in problem.reason else "err_description"
            over = len(values.description) - DESCRIPTION_MAX_LENGTH
            text = t(key, count=number_text(over, t), most=number_text(DESCRIPTION_MAX_LENGTH, t))
            explained.append({"field": "description", "text": text})
        elif name == "location":
            outside = "outside" in problem.reason
            text = outside_the_city(values.place_source, t) if outside else t("err_location")
            explained.append({"field": "address", "text": text})
        elif name == "address":
            explained.append({"field": "address", "text": t("search_empty")})
        elif name == "coordinates":
            explained.append({"field": "lat", "text": t("err_coordinates")})
        elif name == "contact":
            explained.append({"field": "email", "text": t("err_contact")})
        elif name == "email":
            key = "err_email_missing" if problem.reason == MISSING else "err_email"
            explained.append({"field": "email", "text": t(key)})
        elif name.startswith("answers."):
            code = name.removeprefix("answers.")
            question = questions.get(code)
            text = localized(question.text, t.language) if question else code
            explained.append({"field": f"answer-{code}", "text": t("err_answer", question=text)})
        elif name == "limit":
            explained.append({"field": "description", "text": problem.reason})
        elif name.startswith("photos"):
            # The photo layer's reasons are English; report_pages says them by class instead.
            explained.append({"field": "photos", "text": t("photo_unusable", photo=t("photo_one"))})
        else:
            text = t(problem.key or "err_check")
            explained.append({"field": "description", "text": text})
    return explained
