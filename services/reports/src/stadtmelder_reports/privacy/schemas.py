"""HTTP shape of the reporter's data-access answer and its conversion from `DataHeld`."""

from datetime import datetime
from typing import TypeVar

from pydantic import BaseModel, Field

from stadtmelder_reports.privacy.domain import DataHeld
from stadtmelder_reports.staff.schemas import StaffReportOut, staff_view
from stadtmelder_shared.report_events import ReportModerated

Shape = TypeVar("Shape", bound=BaseModel)


class ContactHeldOut(BaseModel):
    email: str | None
    name: str | None
    phone: str | None
    language: str = Field(description="The language messages to the reporter are written in.")


class MessageOut(BaseModel):
    at: datetime
    channel: str = Field(description="`email`, `webhook` (your app) or `web_push` (a browser).")
    step: str = Field(description="Which step of the report it told about, e.g. `routed`.")


class StaffReadOut(BaseModel):
    at: datetime
    role: str = Field(description="The reader's role: `clerk`, `dispatcher` or `admin`.")
    department_id: str | None
    department_name: str | None
    fields: list[str] = Field(description="What was shown: `email`, `name`, `phone`.")


class ModerationStepOut(BaseModel):
    """A change staff made to what the public sees of the report."""

    at: datetime
    action: str = Field(
        description="`hidden`, `shown`, `redacted` (description) or `photo_removed`."
    )
    reason: str = Field(description="Why staff did it, as they gave it.")
    public_description: str | None = Field(
        description="After `redacted`: the description the public sees instead."
    )
    photo: int | None = Field(description="After `photo_removed`: the photo's number.")
    role: str = Field(description="Who did it: `dispatcher` or `admin`.")
    department_id: str | None


class RetentionOut(BaseModel):
    contact_days: int = Field(description="Contact data is erased this long after closing.")
    photo_days: int = Field(description="Photos of a closed report are erased after this.")
    audit_days: int = Field(description="Records of staff reads are kept this long.")


class DataHeldOut(BaseModel):
    """Everything stored about the reporter of this report (GDPR Art. 15)."""

    report_id: str
    contact: ContactHeldOut | None = Field(description="As stored; null when none was given.")
    report: StaffReportOut = Field(
        description="The report as department staff see it; staff members' ids left out."
    )
    messages: list[MessageOut] = Field(description="Every message sent to you, oldest first.")
    staff_reads: list[StaffReadOut] = Field(
        description="Every time staff looked at your contact data, oldest first."
    )
    moderation: list[ModerationStepOut] = Field(
        description="Every change staff made to what the public sees of the report, oldest first."
    )
    retention: RetentionOut


def shaped(model: type[Shape], thing: object) -> Shape:
    """The HTTP shape of a domain object whose fields it names alike."""
    return model.model_validate(thing, from_attributes=True)


def data_held_out(held: DataHeld, now: datetime, language: str, base_url: str) -> DataHeldOut:
    return DataHeldOut(
        report_id=held.report.id,
        contact=shaped(ContactHeldOut, held.contact) if held.contact else None,
        report=without_staff_ids(staff_view(held.report, now, language, base_url)),
        messages=[shaped(MessageOut, message) for message in held.messages],
        staff_reads=[shaped(StaffReadOut, read) for read in held.staff_reads],
        moderation=[moderation_step_out(step) for step in held.report.moderation],
        retention=RetentionOut(
            contact_days=held.retention.contact.days,
            photo_days=held.retention.photos.days,
            audit_days=held.retention.audit.days,
        ),
    )


def moderation_step_out(step: ReportModerated) -> ModerationStepOut:
    """Role and department say who acted, not the staff member's id (see `without_staff_ids`)."""
    told = step.model_dump(include={"action", "reason", "public_description", "photo"})
    actor = step.actor.model_dump(include={"role", "department_id"})
    return ModerationStepOut(at=step.occurred_at, **told, **actor)


def without_staff_ids(view: StaffReportOut) -> StaffReportOut:
    """Department and role say who acted; a staff member's own id is their personal data."""
    steps = [
        step.model_copy(update={"actor": step.actor.model_copy(update={"user_id": None})})
        if step.actor
        else step
        for step in view.steps
    ]
    notes = [
        note.model_copy(update={"actor": note.actor.model_copy(update={"user_id": None})})
        for note in view.notes
    ]
    return view.model_copy(update={"steps": steps, "notes": notes, "assignee": None})
