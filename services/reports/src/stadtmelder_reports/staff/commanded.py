"""Staff writes as commands: what the replica asked sends, and how the report's owner applies
one, once per command id (every id the write stores is derived from it)."""

from typing import TYPE_CHECKING, cast

from stadtmelder_reports.commands.domain import (
    Action,
    Assignment,
    Comment,
    DepartmentStep,
    ReportCommandRequested,
    StaffRef,
    Transition,
)
from stadtmelder_reports.core.domain import Report, WorkStep
from stadtmelder_reports.errors import NotAllowed, ReportAlreadyClaimed
from stadtmelder_reports.staff.auth import Role, StaffMember
from stadtmelder_reports.staff.steps import assignment_step, comment_step
from stadtmelder_reports.staff.workflow import TransitionRequest
from stadtmelder_shared.event_envelope import derived_event_id

if TYPE_CHECKING:
    from stadtmelder_reports.staff.service import WorkService

# The kinds of action staff send; the owner's `Commands` hands them to `apply_staff_command`.
STAFF_ACTIONS = ("transition", "comment", "assignment", "department-update")


def staff_command(
    member: StaffMember, report_id: str, jurisdiction: str, action: Action
) -> ReportCommandRequested:
    by = StaffRef(
        user_id=member.user_id,
        roles=tuple(sorted(member.roles)),
        department_id=member.department_id,
    )
    return ReportCommandRequested(
        report_id=report_id, jurisdiction=jurisdiction, by=by, action=action
    )


def department_command(
    department_id: str, update_id: str, report: tuple[str, str], request: TransitionRequest
) -> ReportCommandRequested:
    """A department system's update of `report` (id, jurisdiction) as a command, its id derived
    from the update's: delivered again, the update sends the same command, applied once."""
    step = Transition(**vars(request))
    return ReportCommandRequested(
        event_id=derived_event_id(update_id, f"{department_id}-command"),
        report_id=report[0],
        jurisdiction=report[1],
        action=DepartmentStep(department_id=department_id, update_id=update_id, step=step),
    )


def member_of(command: ReportCommandRequested) -> StaffMember:
    if command.by is None:
        raise NotAllowed("A staff step needs a staff member.")
    roles = frozenset(cast(Role, role) for role in command.by.roles)
    return StaffMember(command.by.user_id, roles, command.by.department_id)


async def apply_staff_command(work: "WorkService", command: ReportCommandRequested) -> bool:
    """Apply a staff member's command to its report; False if it was applied before."""
    if isinstance(command.action, DepartmentStep):
        update = command.action
        request = _request(update.step)
        return await work.department_step(
            update.department_id, update.update_id, command.report_id, request
        )
    member, action, command_id = member_of(command), command.action, command.event_id
    if isinstance(action, Transition):
        request = _request(action)
        ids = (
            derived_event_id(command_id, "status-changed"),
            derived_event_id(command_id, "routed-after-forward"),
        )
        return await work._transition(
            command.report_id, request, member.actor(), ids, member=member
        )
    if isinstance(action, Comment):
        return await _comment(work, member, command.report_id, action, command_id)
    if isinstance(action, Assignment):
        return await _assign(work, member, command.report_id, action, command_id)
    raise TypeError(f"{action.kind} is no staff step")


def _request(action: Transition) -> TransitionRequest:
    return TransitionRequest(**action.model_dump(exclude={"kind"}))


async def _comment(
    work: "WorkService", member: StaffMember, report_id: str, comment: Comment, command_id: str
) -> bool:
    """A staff comment, once per command; False if written before."""
    actor, comment_id = member.actor(), derived_event_id(command_id, "comment")

    def decide(report: Report) -> WorkStep | None:
        if any(written.id == comment_id for written in report.comments):
            return None
        return comment_step(report, comment.visibility, comment.text, actor, work.now(), comment_id)

    if not await work._change(report_id, decide, member):
        return False
    details = {"visibility": comment.visibility}
    await work._record(actor, report_id, "comment", comment_id, details)
    return True


async def _assign(
    work: "WorkService",
    member: StaffMember,
    report_id: str,
    assignment: Assignment,
    command_id: str,
) -> bool:
    """Give the report to `assignment.user_id` (a claim: unless someone else has it)."""

    def decide(report: Report) -> WorkStep:
        if assignment.claim and report.assignee not in (None, member.user_id):
            raise ReportAlreadyClaimed(report.id, report.assignee)
        return assignment_step(report, assignment.user_id)

    await work._change(report_id, decide, member)
    entry_id = derived_event_id(command_id, "assignment")
    details = {"assignee": assignment.user_id}
    await work._record(member.actor(), report_id, "assignment", entry_id, details)
    return True
