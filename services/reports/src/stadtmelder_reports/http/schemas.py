"""HTTP shapes of the JSON API and their conversion from domain objects; never personal data."""

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, EmailStr, Field

from stadtmelder_reports.core.categories import Category, localized
from stadtmelder_reports.core.domain import (
    ADDRESS_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    FEEDBACK_COMMENT_MAX_LENGTH,
    MAX_ANSWERS,
    Feedback,
    FeedbackOutcome,
    Notice,
    Report,
    StatusChange,
)
from stadtmelder_shared.event_values import Answer, DepartmentRef, WorksRef

LanguageCode = Literal["de", "en", "tr"]


class ChoiceOut(BaseModel):
    key: str
    name: str


class QuestionOut(BaseModel):
    code: str
    datatype: str
    required: bool
    order: int
    text: str
    help: str | None
    values: list[ChoiceOut]
    stops_report: list[str] = Field(
        description="Answers that stop the report; the API answers them with advice instead."
    )


class CategoryOut(BaseModel):
    code: str
    name: str
    group: str
    description: str
    keywords: list[str]
    anonymous_allowed: bool
    questions: list[QuestionOut]


def category_out(category: Category, language: str) -> CategoryOut:
    return CategoryOut(
        code=category.code,
        name=category.name(language),
        group=category.group,
        description=localized(category.description, language),
        keywords=list(category.keywords.get(language) or category.keywords.get("de", ())),
        anonymous_allowed=category.anonymous_allowed,
        questions=[
            QuestionOut(
                code=q.code,
                datatype=q.datatype,
                required=q.required,
                order=q.order,
                text=localized(q.text, language),
                help=localized(q.help, language) if q.help else None,
                values=[ChoiceOut(key=c.key, name=localized(c.names, language)) for c in q.values],
                stops_report=sorted(q.stop.values) if q.stop else [],
            )
            for q in category.questions
        ],
    )


class ReportIn(BaseModel):
    """A new report. Give the place as lat/lon, as an address, or let a photo carry it."""

    category: str = Field(min_length=1, max_length=64, examples=["street_light_out"])
    description: str = Field(min_length=1, max_length=DESCRIPTION_MAX_LENGTH)
    lat: float | None = Field(None, ge=-90, le=90, examples=[51.4344])
    lon: float | None = Field(None, ge=-180, le=180, examples=[6.7623])
    address: str | None = Field(None, max_length=ADDRESS_MAX_LENGTH)
    # Litestar documents a dict with max_length as an array (and the form's part with it), so the
    # limit is stated here for the document and checked where submit counts the answers.
    answers: dict[str, Any] = Field(
        default_factory=dict,
        description="By question code; number answers must be finite numbers.",
        json_schema_extra={"maxProperties": MAX_ANSWERS},
    )
    email: EmailStr | None = Field(None, description="Never shown publicly; used for updates.")
    name: str | None = Field(None, max_length=200, description="Never shown publicly.")
    phone: str | None = Field(None, max_length=40, description="Never shown publicly.")
    language: LanguageCode = "de"
    check_duplicates: bool = Field(
        False,
        description="When true, answer 409 with open reports of the same category nearby "
        "instead of filing, so the citizen can support one of them.",
    )


class SupportIn(BaseModel):
    email: EmailStr | None = Field(None, description="To be kept informed; never shown publicly.")
    name: str | None = Field(None, max_length=200)
    language: LanguageCode = "de"


class DepartmentOut(BaseModel):
    id: str
    name: str


class StatusChangeOut(BaseModel):
    """One step of the public history: never who took it, never an internal reason."""

    status: str
    at: datetime
    department: DepartmentOut | None = None
    comment: str | None = Field(None, description="What the department tells the public.")
    duplicate_of: str | None = Field(None, description="The report this one duplicates.")


class CommentOut(BaseModel):
    """A department's public comment; internal notes are never shown here."""

    text: str
    at: datetime


class FeedbackOut(BaseModel):
    """A citizen's answer to "is it fixed?" after the report was resolved; never who."""

    outcome: FeedbackOutcome
    rating: int | None = Field(None, description="1 (poor) to 5 (very good), if given.")
    at: datetime


class NotifiedOut(BaseModel):
    """When people following the report were first told about a step; never who or how many."""

    step: str = Field(description="The step they were told about, e.g. 'routed', 'resolved'.")
    channel: str
    at: datetime


class PhotoOut(BaseModel):
    url: str
    thumbnail_url: str
    media_type: str
    width: int
    height: int


class CategoryRefOut(BaseModel):
    code: str
    name: str
    group: str


class PlaygroundRefOut(BaseModel):
    """The imported playground a report belongs to, by the register's name."""

    id: str
    name: str | None


class WorksLinkOut(BaseModel):
    """Known works (a Baustelle) the report's place lay in when it was routed."""

    id: str
    url: str = Field(description="The works on the public works page.")
    title: str = Field(description="What is done there.")
    operator: str = Field(description="Who does it.")
    starts_on: date
    ends_on: date


class ReportOut(BaseModel):
    """The public view of a report: never any personal data."""

    id: str
    status: str
    category: CategoryRefOut
    description: str
    lat: float | None
    lon: float | None
    address: str | None
    answers: dict[str, Answer]
    department: DepartmentOut | None
    created_at: datetime
    updated_at: datetime
    history: list[StatusChangeOut]
    comments: list[CommentOut] = Field(default_factory=list)
    feedback: list[FeedbackOut] = Field(default_factory=list)
    notified: list[NotifiedOut] = Field(default_factory=list)
    supporter_count: int
    photos: list[PhotoOut]
    url: str
    playground: PlaygroundRefOut | None = None
    works: list[WorksLinkOut] = Field(
        default_factory=list, description="Current or planned works the place lay in."
    )


class NewReportOut(ReportOut):
    """The answer to the reporter alone: the private tracking token and link."""

    tracking_token: str
    tracking_url: str
    possible_duplicates: list["NearbyReportOut"] = Field(default_factory=list)


class NearbyReportOut(BaseModel):
    report: ReportOut
    distance_m: float


class ReportPage(BaseModel):
    items: list[ReportOut]
    next_cursor: str | None


def public_view(report: Report, language: str, base_url: str) -> ReportOut:
    url = f"{base_url}/api/v1/reports/{report.id}"
    return ReportOut(
        id=report.id,
        status=report.status,
        category=CategoryRefOut(
            code=report.category.code,
            name=report.category.name(language),
            group=report.category.group,
        ),
        description=report.description,
        lat=report.location.lat if report.location else None,
        lon=report.location.lon if report.location else None,
        address=report.address,
        answers=report.answers,
        department=department_out(report.department),
        created_at=report.created_at,
        updated_at=report.updated_at,
        history=[status_change_out(change) for change in report.history],
        comments=[
            CommentOut(text=c.text, at=c.at) for c in report.comments if c.visibility == "public"
        ],
        feedback=[feedback_out(feedback) for feedback in report.feedback],
        notified=notified_out(report.notices),
        supporter_count=report.supporter_count,
        photos=[
            PhotoOut(
                url=f"{url}/photos/{p.number}",
                thumbnail_url=f"{url}/photos/{p.number}/thumbnail",
                media_type=p.media_type,
                width=p.width,
                height=p.height,
            )
            for p in report.photos
        ],
        url=url,
        playground=(
            PlaygroundRefOut(id=report.playground.id, name=report.playground.name)
            if report.playground
            else None
        ),
        works=[works_link_out(works, base_url) for works in report.works],
    )


def works_link_out(works: WorksRef, base_url: str) -> WorksLinkOut:
    return WorksLinkOut(**works.model_dump(), url=f"{base_url}/works#works-{works.id}")


def feedback_out(feedback: Feedback) -> FeedbackOut:
    return FeedbackOut(outcome=feedback.outcome, rating=feedback.rating, at=feedback.at)


def notified_out(notices: list[Notice]) -> list[NotifiedOut]:
    """The first notice of each step and channel: one per recipient would tell how many
    people follow the report by e-mail."""
    first: dict[tuple[str, str], Notice] = {}
    for notice in sorted(notices, key=lambda n: n.at):
        first.setdefault((notice.step, notice.channel), notice)
    return [NotifiedOut(step=n.step, channel=n.channel, at=n.at) for n in first.values()]


def department_out(department: DepartmentRef | None) -> DepartmentOut | None:
    return DepartmentOut(id=department.id, name=department.name) if department else None


def status_change_out(change: StatusChange) -> StatusChangeOut:
    return StatusChangeOut(
        status=change.status,
        at=change.at,
        department=department_out(change.department),
        comment=change.public_comment,
        duplicate_of=change.duplicate_of,
    )


def geojson_feature(view: ReportOut) -> dict[str, Any]:
    properties = view.model_dump(mode="json", exclude={"lat", "lon"})
    geometry = (
        {"type": "Point", "coordinates": [view.lon, view.lat]}
        if view.lat is not None and view.lon is not None
        else None
    )
    return {"type": "Feature", "id": view.id, "geometry": geometry, "properties": properties}


# --- links from citizens' mails: feedback and notification preferences ------------------------


class FeedbackIn(BaseModel):
    """The answer to "is it fixed?"; the comment reaches staff only."""

    outcome: FeedbackOutcome
    comment: str | None = Field(None, max_length=FEEDBACK_COMMENT_MAX_LENGTH)
    rating: int | None = Field(None, ge=1, le=5, description="1 (poor) to 5 (very good).")


class FeedbackQuestionOut(BaseModel):
    """What a feedback link shows. Opening it records nothing: answers come by POST."""

    report_id: str
    status: str
    category: str
    question: str
    choices: list[ChoiceOut]
    selected: FeedbackOutcome | None = Field(
        None, description="The answer the link was for; POST it to confirm."
    )
    open: bool = Field(description="Whether an answer is possible now.")
    answer: FeedbackOut | None = Field(None, description="Your answer, if you gave one.")
    how_to_answer: str


class FeedbackAnswerOut(BaseModel):
    report_id: str
    status: str = Field(description="The report's status after the answer.")
    answer: FeedbackOut
    recorded: bool = Field(description="False when this answer had been recorded before.")


class PreferencesIn(BaseModel):
    opted_out: bool | None = Field(None, description="True: no more mail about this report.")
    language: LanguageCode | None = None


class PreferencesOut(BaseModel):
    report_id: str
    opted_out: bool | None
    language: LanguageCode | None
    detail: str
