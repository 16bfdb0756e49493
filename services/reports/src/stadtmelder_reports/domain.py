"""Reports as the citizen sees them: categories, the report itself, its rules and errors."""

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from stadtmelder_shared import topics
from stadtmelder_shared.events import (
    CategoryRef,
    DepartmentRef,
    Event,
    Language,
    Location,
    Reporter,
    ReportRouted,
    ReportSubmitted,
)

DESCRIPTION_MAX_LENGTH = 4000
# Crockford's base32 without I, L, O, U: ids are read out over the phone.
_ID_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class ReportsError(Exception):
    """Base of every error the reports service reports to its callers."""


@dataclass(frozen=True)
class FieldProblem:
    field: str
    reason: str


class InvalidReport(ReportsError):
    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))


class ReportNotFound(ReportsError):
    def __init__(self, report_id: str) -> None:
        self.report_id = report_id
        super().__init__(f"There is no report with the id {report_id!r}.")


@dataclass(frozen=True)
class Category:
    code: str
    names: dict[str, str]

    def ref(self) -> CategoryRef:
        return CategoryRef(code=self.code, names=self.names)


def _category(code: str, de: str, en: str) -> Category:
    return Category(code=code, names={"de": de, "en": en})


DUISBURG_CATEGORIES: tuple[Category, ...] = (
    _category("playground", "Spielplatz: Gerät defekt oder gefährlich", "Playground equipment"),
    _category("green_space", "Grünfläche, Baum oder Hecke", "Green space, tree or hedge"),
    _category("street_light", "Straßenlaterne defekt", "Street light out"),
    _category("road_damage", "Schlagloch oder Straßenschaden", "Pothole or road damage"),
    _category("pavement_damage", "Gehweg oder Radweg beschädigt", "Pavement or cycle path"),
    _category("illegal_dumping", "Wilder Müll", "Illegal dumping"),
    _category("container_full", "Container voll (Glas, Papier)", "Public container full"),
    _category("litter_bin", "Papierkorb überfüllt", "Litter bin overflowing"),
    _category("other", "Sonstiges", "Something else"),
)


@dataclass(frozen=True)
class Submission:
    """What a citizen asks us to record, before it becomes a report."""

    category: str
    description: str
    location: Location
    language: Language = "de"
    email: str | None = None


@dataclass(frozen=True)
class StatusChange:
    status: str
    at: datetime
    event_id: str


@dataclass
class Report:
    id: str
    jurisdiction: str
    category: CategoryRef
    description: str
    location: Location
    language: Language
    reporter: Reporter | None
    created_at: datetime
    status: str = "submitted"
    department: DepartmentRef | None = None
    history: list[StatusChange] = field(default_factory=list)
    pending_events: list[tuple[str, Event]] = field(default_factory=list)


def new_report_id() -> str:
    chars = "".join(secrets.choice(_ID_ALPHABET) for _ in range(10))
    return f"{chars[:5]}-{chars[5:]}"


def check_submission(submission: Submission, categories: dict[str, Category]) -> Category:
    """The category of a valid submission; `InvalidReport` naming every problem otherwise."""
    problems = []
    category = categories.get(submission.category)
    if category is None:
        known = ", ".join(sorted(categories))
        problems.append(FieldProblem("category", f"Unknown category. Choose one of: {known}."))
    if not submission.description.strip():
        problems.append(FieldProblem("description", "Please describe the defect."))
    elif len(submission.description) > DESCRIPTION_MAX_LENGTH:
        problems.append(
            FieldProblem(
                "description",
                f"The description is longer than {DESCRIPTION_MAX_LENGTH} characters.",
            )
        )
    if problems or category is None:
        raise InvalidReport(problems)
    return category


def submit(
    submission: Submission,
    categories: dict[str, Category],
    jurisdiction: str,
    now: datetime,
    report_id: str,
) -> Report:
    """A new report carrying the ReportSubmitted event that announces it."""
    category = check_submission(submission, categories)
    reporter = (
        Reporter(email=submission.email, language=submission.language) if submission.email else None
    )
    report = Report(
        id=report_id,
        jurisdiction=jurisdiction,
        category=category.ref(),
        description=submission.description.strip(),
        location=submission.location,
        language=submission.language,
        reporter=reporter,
        created_at=now,
    )
    event = ReportSubmitted(
        report_id=report.id,
        jurisdiction=jurisdiction,
        occurred_at=now,
        category=report.category,
        description=report.description,
        location=report.location,
        language=report.language,
        reporter=reporter,
    )
    report.history.append(StatusChange("submitted", now, event.event_id))
    report.pending_events.append((topics.REPORTS_SUBMITTED, event))
    return report


def routed_change(event: ReportRouted) -> StatusChange:
    return StatusChange("routed", event.occurred_at, event.event_id)
