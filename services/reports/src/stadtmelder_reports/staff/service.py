"""Use cases of department work: queues, claiming, transitions, comments, contact and audit.

Staff come through the API, department systems through Kafka, citizens' feedback through
`reopen`; all of them take the same steps through the same state machine.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from uuid import uuid4

from stadtmelder_reports.commands.domain import Action, Assignment, Comment, Transition
from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.domain import OPEN_STATUSES, Report, Visibility, WorkStep
from stadtmelder_reports.core.report_queries import QueueQuery
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.core.service import utc_now
from stadtmelder_reports.errors import (
    InvalidWorkRequest,
    NotAllowed,
    ReportChangedMeanwhile,
    ReportNotFound,
    UnknownDepartment,
)
from stadtmelder_reports.staff import access
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.staff.commanded import (
    apply_staff_command,
    department_command,
    staff_command,
)
from stadtmelder_reports.staff.repository import AuditAction, AuditEntry, AuditLog, StaffRoster
from stadtmelder_reports.staff.steps import (
    comment_step,
    transition_step,
    with_note,
)
from stadtmelder_reports.staff.workflow import TransitionRequest
from stadtmelder_shared.departments import Department, Directory
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.event_values import Actor, DepartmentRef, Reporter
from stadtmelder_shared.translations import N_
from stadtmelder_shared.work_item_events import WorkItemSendFailed

# Work still to do; a queue shows these unless asked for others.
QUEUE_STATUSES = tuple(sorted(OPEN_STATUSES - {"submitted"}))
# Writes go through only on the revision read; this often someone else may come first.
WRITE_ATTEMPTS = 5

Decide = Callable[[Report], WorkStep | None]


@dataclass(frozen=True)
class QueueFilters:
    statuses: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    overdue: bool = False
    assigned: str | None = None  # "me" or "none"
    after: tuple[datetime | None, str] | None = None
    limit: int = 50


@dataclass(frozen=True)
class WorkService:
    reports: ReportRepository
    audit: AuditLog
    roster: StaffRoster
    directory: Directory
    jurisdiction: str
    on_events_pending: Callable[[str], None] = lambda report_id: None
    # Where writes asked over HTTP go to be applied by the report's owner; None applies here.
    commands: Commands | None = None
    clock: Callable[[], datetime] = utc_now
    _noted: set[StaffMember] = field(default_factory=set, init=False, repr=False)

    def now(self) -> datetime:
        return self.clock()

    # --- reading ------------------------------------------------------------------------------

    async def queue(
        self, member: StaffMember, department_id: str, filters: QueueFilters
    ) -> list[Report]:
        """The department's reports, earliest due date first, so overdue ones lead."""
        self._department(department_id)
        if not access.may_see_department(member, department_id):
            raise NotAllowed(
                "You can only see the queue of your own department.",
                N_("not_allowed_other_queue"),
            )
        if filters.assigned not in (None, "me", "none"):
            raise InvalidWorkRequest("assigned", "Use assigned=me or assigned=none.")
        await self._note(member)
        return await self.reports.queue(
            QueueQuery(
                jurisdiction=self.jurisdiction,
                department_id=department_id,
                statuses=filters.statuses or QUEUE_STATUSES,
                categories=filters.categories,
                due_before=self.clock() if filters.overdue else None,
                assignee=member.user_id if filters.assigned == "me" else None,
                unassigned=filters.assigned == "none",
                after=filters.after,
                limit=filters.limit,
            )
        )

    async def triage_queue(self, member: StaffMember, filters: QueueFilters) -> list[Report]:
        """Reports no rule could place, waiting for a dispatcher to forward them."""
        if not access.may_triage(member):
            raise NotAllowed(
                "Only dispatchers and admins work the triage queue.",
                N_("not_allowed_triage"),
            )
        return await self.queue(member, self.directory.triage.id, filters)

    async def report(self, member: StaffMember, report_id: str) -> Report:
        """The report if `member` may see it; otherwise it is reported as missing."""
        await self._note(member)
        report = await self.reports.get(report_id)
        if not access.may_see_report(member, report):
            raise ReportNotFound(report_id)
        return report

    async def contact(self, member: StaffMember, report_id: str) -> Reporter | None:
        """The reporter's contact data; each read is in the audit before the data is shown."""
        report = await self.report(member, report_id)
        reporter = report.reporter
        given = [name for name in ("email", "name", "phone") if getattr(reporter, name, None)]
        await self._record(
            member.actor(), report.id, "contact_read", str(uuid4()), {"fields": ",".join(given)}
        )
        return report.reporter

    async def audit_trail(self, member: StaffMember, report_id: str) -> list[AuditEntry]:
        report = await self.report(member, report_id)
        if not access.may_read_audit(member):
            raise NotAllowed(
                "Only dispatchers and admins can read the audit trail.",
                N_("not_allowed_audit"),
            )
        return await self.audit.for_report(report.id)

    # --- working ------------------------------------------------------------------------------

    async def claim(self, member: StaffMember, report_id: str) -> Report:
        """Take the report on yourself, unless someone else already has."""
        report = await self.report(member, report_id)
        if not access.may_claim(member, report):
            raise NotAllowed(
                "Only staff of the report's department can claim it.",
                N_("not_allowed_claim"),
            )
        return await self._commanded(
            member, report.id, Assignment(user_id=member.user_id, claim=True)
        )

    async def assign(self, member: StaffMember, report_id: str, user_id: str | None) -> Report:
        """Give the report to someone of its department who has signed in before, or to no one."""
        report = await self.report(member, report_id)
        if user_id is not None:
            department = report.department.id if report.department else None
            assignee = await self.roster.member(user_id)
            if assignee is None or assignee.department_id != department:
                raise InvalidWorkRequest(
                    "user_id",
                    f"{user_id!r} is not known as staff of {department!r}; "
                    "people become known here when they first sign in.",
                )
        return await self._commanded(member, report.id, Assignment(user_id=user_id))

    async def transition(
        self, member: StaffMember, report_id: str, request: TransitionRequest
    ) -> Report:
        await self.report(member, report_id)
        # Asked here first, so a wrong request is answered without a round trip.
        self._forward_target(request)
        await self._check_duplicate_of(report_id, request)
        return await self._commanded(member, report_id, Transition(**vars(request)))

    async def comment(
        self, member: StaffMember, report_id: str, visibility: Visibility, text: str
    ) -> Report:
        await self.report(member, report_id)
        if not text.strip():
            raise InvalidWorkRequest("text", "Write the comment's text.")
        return await self._commanded(member, report_id, Comment(visibility=visibility, text=text))

    async def _commanded(self, member: StaffMember, report_id: str, action: Action) -> Report:
        """Have the report's one writer apply `action` (see `commands`), then the report."""
        command = staff_command(member, report_id, self.jurisdiction, action)
        if self.commands is None:
            await apply_staff_command(self, command)  # no owner to ask (tests, tools): here
        else:
            await self.commands.run(command)
        return await self.reports.get(report_id)

    async def apply_department_update(
        self, department_id: str, update_id: str, report_id: str, request: TransitionRequest
    ) -> bool:
        """A transition sent by a department's own system; False if it was applied before. The
        report's owner takes it (`department_step`): as a command when there is one to ask."""
        self._department(department_id)
        if self.commands is not None:
            report = (report_id, self.jurisdiction)
            command = department_command(department_id, update_id, report, request)
            return await self.commands.run(command)
        return await self.department_step(department_id, update_id, report_id, request)

    async def department_step(
        self, department_id: str, update_id: str, report_id: str, request: TransitionRequest
    ) -> bool:
        self._department(department_id)
        actor = Actor(role="department_system", department_id=department_id)
        ids = (
            derived_event_id(update_id, "status-changed"),
            derived_event_id(update_id, "routed-after-forward"),
        )

        def owned(report: Report) -> None:
            if report.department is None or report.department.id != department_id:
                raise NotAllowed(
                    f"Department {department_id!r} may only change its own reports.",
                    N_("not_allowed_other_department"),
                )

        return await self._transition(report_id, request, actor, ids, check=owned)

    async def note_send_failure(self, failure: WorkItemSendFailed) -> bool:
        """A department did not get its work item: an internal note on the report, so the
        clerks and dispatchers who open it see it; False if noted before."""
        note_id = derived_event_id(failure.event_id, "send-failure-note")
        text = (
            f"Die Zustellung an {failure.department.name} per {failure.method} ist nach "
            f"{failure.attempts} Versuchen gescheitert ({failure.error}); "
            "sie wird weiter versucht."
        )
        return await self.note_by_system(failure.report_id, note_id, "internal", text)

    async def note_by_system(
        self, report_id: str, note_id: str, visibility: Visibility, text: str
    ) -> bool:
        """A comment of the system's (a failed send, sensor evidence); False if noted before."""

        def decide(report: Report) -> WorkStep | None:
            if any(comment.id == note_id for comment in report.comments):
                return None
            actor = Actor(role="system")
            return comment_step(report, visibility, text, actor, self.clock(), note_id)

        return await self._change(report_id, decide, None)

    async def step_by_system(
        self, report_id: str, to: str, cause_id: str, public_comment: str | None = None
    ) -> bool:
        """A status step the system takes (sensors saw the damage repaired); once per cause."""
        ids = (derived_event_id(cause_id, to), derived_event_id(cause_id, f"{to}-routed"))
        request = TransitionRequest(to=to, public_comment=public_comment)
        return await self._transition(report_id, request, Actor(role="system"), ids)

    async def reopen(self, report_id: str, comment: str, caused_by: str | None = None) -> bool:
        """The citizen says a resolved report is not fixed; False if `caused_by` was seen before.

        The citizen's words become an internal note for staff, never part of the public history
        or of the status event that notify mails to supporters: they may hold personal details.
        """
        cause = caused_by or str(uuid4())
        ids = (derived_event_id(cause, "reopened"), derived_event_id(cause, "reopened-routed"))
        note = (comment, derived_event_id(cause, "reopened-note")) if comment.strip() else None
        request = TransitionRequest(to="reopened")
        return await self._transition(report_id, request, Actor(role="citizen"), ids, note=note)

    # --- the common path ----------------------------------------------------------------------

    async def _transition(
        self,
        report_id: str,
        request: TransitionRequest,
        actor: Actor,
        ids: tuple[str, str],
        member: StaffMember | None = None,
        check: Callable[[Report], None] = lambda report: None,
        note: tuple[str, str] | None = None,
    ) -> bool:
        """Apply `request` once: False when the step with `ids[0]` is in the history already.

        `note` is an internal note (text, event id) stored with the step.
        """
        target = self._forward_target(request)
        await self._check_duplicate_of(report_id, request)

        def decide(report: Report) -> WorkStep | None:
            if any(change.event_id == ids[0] for change in report.history):
                return None
            check(report)
            now = self.clock()
            due = self._restarted_due_at(report, request, now)
            step = transition_step(report, request, actor, now, ids, target, due)
            if note is None:
                return step
            text, note_id = note
            return with_note(step, report, text, actor, now, note_id)

        if not await self._change(report_id, decide, member):
            return False
        details = {"to": request.to, "forward_to": request.forward_to}
        await self._record(actor, report_id, "transition", ids[0], details)
        return True

    async def _change(self, report_id: str, decide: Decide, member: StaffMember | None) -> bool:
        """Read, decide, write on the revision read; decide anew when someone came first.

        False when `decide` found nothing to do.
        """
        for _ in range(WRITE_ATTEMPTS):
            report = await self.reports.get(report_id)
            # Checked on every read: the report may have been forwarded away meanwhile.
            if member is not None and not access.may_see_report(member, report):
                raise ReportNotFound(report_id)
            step = decide(report)
            if step is None:
                return False
            if await self.reports.record_work(report.id, report.revision, step):
                if step.events:
                    self.on_events_pending(report.id)
                return True
        raise ReportChangedMeanwhile(report_id)

    def _forward_target(self, request: TransitionRequest) -> DepartmentRef | None:
        if request.to != "forwarded" or not request.forward_to:
            return None
        department = self.directory.get(request.forward_to)
        if department is None:
            known = ", ".join(d.id for d in self.directory.departments)
            raise InvalidWorkRequest(
                "forward_to", f"There is no department {request.forward_to!r}; known: {known}."
            )
        return department.ref()

    async def _check_duplicate_of(self, report_id: str, request: TransitionRequest) -> None:
        if request.to != "duplicate" or not request.duplicate_of:
            return
        if request.duplicate_of == report_id:
            return  # the state machine explains this one
        try:
            await self.reports.get(request.duplicate_of)
        except ReportNotFound:
            raise InvalidWorkRequest(
                "duplicate_of", f"There is no report with the id {request.duplicate_of!r}."
            ) from None

    def _restarted_due_at(
        self, report: Report, request: TransitionRequest, now: datetime
    ) -> datetime | None:
        """A new due date when work starts anew: at the new department, or after reopening."""
        if request.to == "forwarded" and request.forward_to:
            department = self.directory.get(request.forward_to)
        elif request.to == "reopened" and report.department is not None:
            department = self.directory.get(report.department.id)
        else:
            return None
        return department.due_at(report.category.code, now) if department else None

    def _department(self, department_id: str) -> Department:
        department = self.directory.get(department_id)
        if department is None:
            raise UnknownDepartment(department_id)
        return department

    async def _note(self, member: StaffMember) -> None:
        """Remember who signs in, once per process, so reports can be assigned to them."""
        if member not in self._noted:
            await self.roster.remember(member, self.clock())
            self._noted.add(member)

    async def _record(
        self,
        actor: Actor,
        report_id: str,
        action: AuditAction,
        entry_id: str,
        details: Mapping[str, str | None],
    ) -> None:
        entry = AuditEntry(entry_id, self.clock(), report_id, actor, action, details)
        await self.audit.record(entry)
