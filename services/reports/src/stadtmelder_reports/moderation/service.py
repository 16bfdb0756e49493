"""Use cases of moderation: staff hide or show a report, redact its description or remove a
photo from public view; each step is stored with its event in one write and audited."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from uuid import uuid4

from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.core.service import utc_now
from stadtmelder_reports.errors import NotAllowed, ReportChangedMeanwhile
from stadtmelder_reports.moderation.domain import may_moderate, moderation_step, requested
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.staff.repository import AuditEntry, AuditLog
from stadtmelder_shared.event_values import ModerationAction
from stadtmelder_shared.report_events import ReportModerated

# Writes go through only on the revision read; this often someone else may come first.
WRITE_ATTEMPTS = 5


@dataclass(frozen=True)
class ModerationService:
    reports: ReportRepository
    audit: AuditLog
    on_events_pending: Callable[[str], None] = lambda report_id: None
    clock: Callable[[], datetime] = utc_now

    async def report(self, member: StaffMember, report_id: str) -> Report:
        """The report as staff see it, original text and every photo, for a moderator."""
        _check(member)
        return await self.reports.get(report_id)

    async def moderate(
        self,
        member: StaffMember,
        report_id: str,
        action: ModerationAction,
        reason: str,
        text: str | None = None,
        photo: int | None = None,
    ) -> Report:
        """Apply the step on the revision read; public answers follow with the same write."""
        _check(member)
        actor, event_id = member.actor(), str(uuid4())
        asked = requested(action, reason, text, photo)
        for _ in range(WRITE_ATTEMPTS):
            report = await self.reports.get(report_id)
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
                details = {"action": action, "reason": step.reason, "photo": _text(step.photo)}
                entry = AuditEntry(event_id, now, report.id, actor, "moderation", details)
                await self.audit.record(entry)
                return await self.reports.get(report.id)
        raise ReportChangedMeanwhile(report_id)


def _text(number: int | None) -> str | None:
    return None if number is None else str(number)


def _check(member: StaffMember) -> None:
    if not may_moderate(member):
        raise NotAllowed("Only dispatchers and admins moderate what the public sees.")
