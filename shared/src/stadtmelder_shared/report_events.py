"""A report's lifecycle as events: submitted, routed or unroutable, worked, moderated, overdue."""

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import (
    Actor,
    Answer,
    AppWebhook,
    CategoryRef,
    DepartmentRef,
    LabelledAnswers,
    Language,
    Location,
    ModerationAction,
    PlaygroundRef,
    WorksRef,
)
from stadtmelder_shared.sealing import Sealed


class ReportSubmitted(Event):
    type: ClassVar[str] = "org.stadtmelder.report.submitted"

    category: CategoryRef
    description: str
    location: Location | None
    address: str | None = None
    answers: dict[str, Answer] = Field(default_factory=dict)
    labelled_answers: LabelledAnswers = Field(default_factory=dict)
    photo_count: int = 0
    language: Language = "de"
    # Version 2: contact data and the tracking token are sealed (docs/personal-data.md).
    schema_version: int = 2
    reporter: Sealed | None = Field(
        None, description="The Reporter as JSON, sealed under the report's data key."
    )
    # The reporter's private tracking token, for their confirmation mail only. It opens no more
    # than the public view, but is still kept off every public output.
    tracking_token: Sealed | None = Field(
        None, description="The tracking token, sealed under the report's data key."
    )
    # Set when the report came from an app that registered a webhook for its users' reports.
    app_webhook: AppWebhook | None = None
    playground: PlaygroundRef | None = Field(
        None, description="The playground within 50 m that a playground report belongs to."
    )


class ReportRouted(Event):
    type: ClassVar[str] = "org.stadtmelder.report.routed"

    category: CategoryRef
    department: DepartmentRef
    rule: str = Field(description="Which responsibility rule chose the department.")
    caused_by: str = Field(description="event_id of the ReportSubmitted that was routed.")
    schema_version: int = 2
    reporter: Sealed | None = Field(None, description="ReportSubmitted.reporter, still sealed.")
    # The statistics count a report from its routing answer alone (None from an older routing).
    submitted_at: datetime | None = Field(None, description="ReportSubmitted.occurred_at.")
    due_at: datetime | None = Field(None, description="When the department's SLA runs out.")
    area: str | None = Field(None, description="The area (district) the place lies in.")
    asset_id: str | None = Field(None, description="The asset (pole, playground) it concerns.")
    probable_duplicates: list[str] = Field(
        default_factory=list, description="Open reports probably about the same defect."
    )
    # What area alerts need of the submission, so they wait for no second event (None from a
    # routing service older than these fields, or for a report without a place).
    location: Location | None = Field(None, description="ReportSubmitted.location.")
    address: str | None = Field(None, description="ReportSubmitted.address.")
    works: list[WorksRef] = Field(
        default_factory=list, description="Current or planned works the place lies in."
    )


class ReportUnroutable(Event):
    """No rule matched: the report waits in the triage queue for a dispatcher."""

    type: ClassVar[str] = "org.stadtmelder.report.unroutable"

    category: CategoryRef
    department: DepartmentRef = Field(description="The triage queue it was put into.")
    reason: str
    caused_by: str
    schema_version: int = 2
    reporter: Sealed | None = Field(None, description="ReportSubmitted.reporter, still sealed.")
    submitted_at: datetime | None = Field(None, description="ReportSubmitted.occurred_at.")


class ReportStatusChanged(Event):
    """A step of the department's work; reports, notify and routing all follow it."""

    type: ClassVar[str] = "org.stadtmelder.report.status-changed"

    status: str
    previous_status: str
    department: DepartmentRef
    actor: Actor
    public_comment: str | None = None
    reason: str | None = None
    duplicate_of: str | None = None
    forwarded_to: DepartmentRef | None = None
    category: CategoryRef | None = None
    staff_note: str | None = Field(
        None, description="The internal note given with the step (a citizen's words on reopening)."
    )


class ReportCommented(Event):
    type: ClassVar[str] = "org.stadtmelder.report.commented"

    visibility: Literal["public", "internal"]
    text: str
    actor: Actor
    department: DepartmentRef | None = None


class ReportModerated(Event):
    """Staff changed what the public sees: hid or showed the report, redacted its description
    (`public_description` is the text shown now) or removed photo number `photo`."""

    type: ClassVar[str] = "org.stadtmelder.report.moderated"

    action: ModerationAction
    reason: str
    actor: Actor
    public_description: str | None = None
    photo: int | None = None


class ReportOverdue(Event):
    type: ClassVar[str] = "org.stadtmelder.report.overdue"

    department: DepartmentRef
    due_at: datetime
    escalated_to: str | None = Field(None, description="The department lead's mailbox.")
