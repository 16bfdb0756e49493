"""What each piece of department work changes on a report and which events announce it.

Pure functions: the service reads the report, calls one of these, and stores the step.
"""

from dataclasses import replace
from datetime import datetime

from stadtmelder_reports.core.domain import Comment, Report, StatusChange, Visibility, WorkStep
from stadtmelder_reports.errors import InvalidTransition
from stadtmelder_reports.staff.workflow import TransitionRequest, allowed_next, next_status
from stadtmelder_shared import topics
from stadtmelder_shared.event_values import Actor, DepartmentRef
from stadtmelder_shared.report_events import ReportCommented, ReportStatusChanged


def transition_step(
    report: Report,
    request: TransitionRequest,
    actor: Actor,
    now: datetime,
    event_ids: tuple[str, str],
    forward_target: DepartmentRef | None = None,
    new_due_at: datetime | None = None,
) -> WorkStep:
    """The report after `request`, announced by ReportStatusChanged.

    Forwarding is two steps in the history and two events: "forwarded" by the old department,
    then "routed" at the new one (`forward_target`), unassigned there. `new_due_at` replaces the
    due date when the work starts anew (forwarding, reopening).
    """
    current = report.department
    status = next_status(report.id, report.status, request, current.id if current else None)
    if current is None:  # only a report not yet routed has none, and it allows no step
        raise InvalidTransition(report.id, report.status, request.to, allowed_next(report.status))
    step = replace(WorkStep.keeping(report), status=status)
    first = StatusChange(
        request.to,
        now,
        event_ids[0],
        department=forward_target or current,
        public_comment=_text(request.public_comment),
        reason=_text(request.reason),
        duplicate_of=request.duplicate_of,
        actor=actor,
    )
    changes = [first]
    events = [_status_changed(report, first, report.status, current, forward_target)]
    if request.to == "forwarded" and forward_target is not None:
        routed = StatusChange("routed", now, event_ids[1], department=forward_target, actor=actor)
        changes.append(routed)
        events.append(_status_changed(report, routed, "forwarded", forward_target, None))
        step = replace(step, department=forward_target, assignee=None)
    if new_due_at is not None:
        step = replace(step, due_at=new_due_at)
    return replace(
        step,
        changes=tuple(changes),
        events=tuple((topics.REPORTS_STATUS_CHANGED, event) for event in events),
    )


def comment_step(
    report: Report,
    visibility: Visibility,
    text: str,
    actor: Actor,
    now: datetime,
    event_id: str,
) -> WorkStep:
    comment = Comment(event_id, visibility, text.strip(), now, actor)
    event = ReportCommented(
        event_id=event_id,
        occurred_at=now,
        report_id=report.id,
        jurisdiction=report.jurisdiction,
        visibility=visibility,
        text=comment.text,
        actor=actor,
        department=report.department,
    )
    return replace(
        WorkStep.keeping(report),
        comments=(comment,),
        events=((topics.REPORTS_COMMENTED, event),),
    )


def with_note(
    step: WorkStep, report: Report, text: str, actor: Actor, now: datetime, event_id: str
) -> WorkStep:
    """`step` plus an internal note, stored and announced in the same write."""
    noted = comment_step(report, "internal", text, actor, now, event_id)
    # The status event carries the note too, for the department that gets the step by mail;
    # notify, which mails steps to citizens, leaves `staff_note` alone.
    events = tuple(
        (topic, event.model_copy(update={"staff_note": text.strip()}))
        if isinstance(event, ReportStatusChanged)
        else (topic, event)
        for topic, event in step.events
    )
    return replace(step, comments=step.comments + noted.comments, events=events + noted.events)


def assignment_step(report: Report, assignee: str | None) -> WorkStep:
    """Assignments are internal: recorded in the audit, announced to no one."""
    return replace(WorkStep.keeping(report), assignee=assignee)


def _status_changed(
    report: Report,
    change: StatusChange,
    previous: str,
    department: DepartmentRef,
    forwarded_to: DepartmentRef | None,
) -> ReportStatusChanged:
    return ReportStatusChanged(
        event_id=change.event_id,
        occurred_at=change.at,
        report_id=report.id,
        jurisdiction=report.jurisdiction,
        status=change.status,
        previous_status=previous,
        department=department,
        actor=change.actor or Actor(role="system"),
        public_comment=change.public_comment,
        reason=change.reason,
        duplicate_of=change.duplicate_of,
        forwarded_to=forwarded_to,
        category=report.category,
    )


def _text(value: str | None) -> str | None:
    return value.strip() or None if value else None
