"""HTTP shapes of the staff API and their conversion from domain objects.

The staff view shows what the public view does plus internal notes, who took each step, the
assignee and the due date; the reporter's contact data only through its own, audited endpoint.
"""

from dataclasses import fields
from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

from stadtmelder_reports.core.domain import Comment, Report, StatusChange
from stadtmelder_reports.http.schemas import DepartmentOut, ReportOut, department_out, public_view
from stadtmelder_reports.staff.auth import Role, StaffMember
from stadtmelder_reports.staff.repository import AuditEntry
from stadtmelder_reports.staff.workflow import REASON_MAX_LENGTH, TransitionRequest
from stadtmelder_shared.event_values import Reporter

COMMENT_MAX_LENGTH = 4000
# The same as workflow.TARGET_STATUSES, spelled out for the OpenAPI document (a unit test
# keeps the two equal).
TargetStatus = Literal[
    "acknowledged", "in_progress", "resolved", "reopened", "rejected", "duplicate", "forwarded"
]


class TransitionIn(BaseModel):
    """The next step of the work; forwarding and rejecting need a reason, a duplicate its
    original."""

    to: TargetStatus
    public_comment: str | None = Field(
        None, max_length=REASON_MAX_LENGTH, description="Shown to the public and the reporter."
    )
    reason: str | None = Field(
        None,
        max_length=REASON_MAX_LENGTH,
        description="For staff only; required to reject or forward.",
    )
    duplicate_of: str | None = Field(None, max_length=40)
    forward_to: str | None = Field(None, max_length=64, description="A department id.")

    def request(self) -> TransitionRequest:
        return transition_request(self)


def transition_request(asked: BaseModel) -> TransitionRequest:
    """The step a model with TransitionRequest's fields asks for (the API's, a department's)."""
    return TransitionRequest(**asked.model_dump(include=_TRANSITION_FIELDS))


_TRANSITION_FIELDS = {field.name for field in fields(TransitionRequest)}


class CommentIn(BaseModel):
    visibility: Literal["public", "internal"]
    text: str = Field(min_length=1, max_length=COMMENT_MAX_LENGTH)


class AssignIn(BaseModel):
    user_id: str | None = Field(
        description="Someone of the report's department; null takes the assignment away."
    )


class ActorOut(BaseModel):
    role: str
    user_id: str | None
    department_id: str | None


class StaffStepOut(BaseModel):
    status: str
    at: datetime
    department: DepartmentOut | None
    public_comment: str | None
    reason: str | None
    duplicate_of: str | None
    actor: ActorOut | None


class StaffCommentOut(BaseModel):
    id: str
    visibility: str
    text: str
    at: datetime
    actor: ActorOut


class StaffReportOut(ReportOut):
    """Everything public plus the work's internals; no contact data (see `/contact`)."""

    assignee: str | None
    due_at: datetime | None
    overdue: bool
    has_contact: bool
    contact_erased_at: datetime | None = Field(
        None, description="When the reporter had their contact data erased; then none is kept."
    )
    steps: list[StaffStepOut] = Field(description="The history with reasons and who acted.")
    notes: list[StaffCommentOut] = Field(description="Public comments and internal notes.")


class QueueItemOut(BaseModel):
    id: str
    status: str
    category: str
    category_name: str
    description: str
    address: str | None
    lat: float | None
    lon: float | None
    department: DepartmentOut | None
    assignee: str | None
    due_at: datetime | None
    overdue: bool
    created_at: datetime
    updated_at: datetime
    supporter_count: int


class QueuePage(BaseModel):
    items: list[QueueItemOut]
    next_cursor: str | None


class ContactOut(BaseModel):
    email: str | None
    name: str | None
    phone: str | None
    language: str


class AuditEntryOut(BaseModel):
    id: str
    at: datetime
    report_id: str
    action: str
    actor: ActorOut
    details: dict[str, str | None]


class StaffMemberOut(BaseModel):
    user_id: str
    roles: list[Role]
    department: DepartmentOut | None


# Staff see a step, a note and an audit entry with the domain's own field names, so each
# answer is read from the domain object's attributes (the actor and department with them).


def step_out(change: StatusChange) -> StaffStepOut:
    return StaffStepOut.model_validate(change, from_attributes=True)


def comment_out(comment: Comment) -> StaffCommentOut:
    return StaffCommentOut.model_validate(comment, from_attributes=True)


def staff_view(report: Report, now: datetime, language: str, base_url: str) -> StaffReportOut:
    return StaffReportOut(
        **public_view(report, language, base_url).model_dump(),
        assignee=report.assignee,
        due_at=report.due_at,
        overdue=report.is_overdue(now),
        has_contact=report.reporter is not None,
        contact_erased_at=report.contact_erased_at,
        steps=[step_out(change) for change in report.history],
        notes=[comment_out(comment) for comment in report.comments],
    )


def queue_item(report: Report, now: datetime, language: str) -> QueueItemOut:
    return QueueItemOut(
        id=report.id,
        status=report.status,
        category=report.category.code,
        category_name=report.category.name(language),
        description=report.description,
        address=report.address,
        lat=report.location.lat if report.location else None,
        lon=report.location.lon if report.location else None,
        department=department_out(report.department),
        assignee=report.assignee,
        due_at=report.due_at,
        overdue=report.is_overdue(now),
        created_at=report.created_at,
        updated_at=report.updated_at,
        supporter_count=report.supporter_count,
    )


def contact_out(reporter: Reporter) -> ContactOut:
    return ContactOut(
        email=reporter.email, name=reporter.name, phone=reporter.phone, language=reporter.language
    )


def audit_entry_out(entry: AuditEntry) -> AuditEntryOut:
    return AuditEntryOut.model_validate(entry, from_attributes=True)


def staff_member_out(member: StaffMember, department: DepartmentOut | None) -> StaffMemberOut:
    return StaffMemberOut(user_id=member.user_id, roles=sorted(member.roles), department=department)
