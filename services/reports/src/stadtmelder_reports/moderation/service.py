"""Use cases of moderation: staff hide or show a report, redact its description or remove a
photo from public view; each step is stored with its event in one write and audited."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from stadtmelder_reports.commands.domain import Moderation, ReportCommandRequested
from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.core.service import utc_now
from stadtmelder_reports.errors import NotAllowed, ReportChangedMeanwhile
from stadtmelder_reports.moderation.domain import may_moderate, moderation_step, requested
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.staff.commanded import member_of, staff_command
from stadtmelder_reports.staff.repository import AuditEntry, AuditLog
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.report_events import ReportModerated
from stadtmelder_shared.translations import N_

# Writes go through only on the revision read; this often someone else may come first.
WRITE_ATTEMPTS = 5


@dataclass(frozen=True)
class ModerationService:
    reports: ReportRepository
    audit: AuditLog
    on_events_pending: Callable[[str], None] = lambda report_id: None
    clock: Callable[[], datetime] = utc_now
    # Where steps asked over HTTP go to be applied by the report's owner; None applies here.
    commands: Commands | None = None

    async def report(self, member: StaffMember, report_id: str) -> Report:
        """The report as staff see it, original text and every photo, for a moderator."""
        _check(member)
        return await self.reports.get(report_id)

    async def moderate(self, member: StaffMember, report_id: str, asked: Moderation) -> Report:
        """Have the report's one writer apply the step (see `commands`), then the report."""
        _check(member)
        report = await self.reports.get(report_id)
        command = staff_command(member, report.id, report.jurisdiction, asked)
        if self.commands is None:
            await self.apply_command(command)  # no owner to ask (tests, tools): here
        else:
            await self.commands.run(command)
        return await self.reports.get(report.id)

    async def apply_command(self, command: ReportCommandRequested) -> bool:
        """Apply the step on the revision read, once per command; public answers follow with
        the same write. False if it was applied before."""
        member, asking = member_of(command), command.action
        assert isinstance(asking, Moderation)
        _check(member)
        actor = member.actor()
        event_id = derived_event_id(command.event_id, "moderated")
        asked = requested(asking)
        for _ in range(WRITE_ATTEMPTS):
            report = await self.reports.get(command.report_id)
            if any(done.event_id == event_id for done in report.moderation):
                return False
            now = self.clock()
            step = ReportModerated(
                event_id=event_id,
                occurred_at=now,
                report_id=report.id,
                **asked,
                actor=actor,
                jurisdiction=report.jurisdiction,
            )
            if await self.reports.record_work(
                report.id, report.revision, moderation_step(report, step)
            ):
                self.on_events_pending(report.id)
                details = {"action": step.action, "reason": step.reason, "photo": _text(step.photo)}
                entry = AuditEntry(event_id, now, report.id, actor, "moderation", details)
                await self.audit.record(entry)
                return True
        raise ReportChangedMeanwhile(command.report_id)


def _text(number: int | None) -> str | None:
    return None if number is None else str(number)


def _check(member: StaffMember) -> None:
    if not may_moderate(member):
        raise NotAllowed(
            "Only dispatchers and admins moderate what the public sees.",
            N_("not_allowed_moderation"),
        )
