"""The retention round: erase contact data, delete photos and forget staff reads that are due."""

import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from stadtmelder_reports.commands.domain import PhotoRemoval, ReportCommandRequested
from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.core.service import utc_now
from stadtmelder_reports.erasure.service import ErasureService
from stadtmelder_reports.errors import ReportChangedMeanwhile, ReportNotFound
from stadtmelder_reports.retention.domain import (
    Periods,
    audit_kept_since,
    closed_before,
    contact_due,
    photos_due,
)
from stadtmelder_reports.retention.store import RetentionStore
from stadtmelder_shared.link_tokens import LinkHolder

log = logging.getLogger(__name__)

What = Literal["contact", "photos", "audit"]
# Reports (or audit entries) read per page: a round holds no more than this in memory.
BATCH = 100


@dataclass(frozen=True)
class Erased:
    """What one round erased: contact data of people, photos, staff reads of contact data."""

    contact: int = 0
    photos: int = 0
    audit: int = 0


@dataclass(frozen=True)
class RetentionService:
    """Each step is done on its own and is repeatable: a round that stops half-way (a crash, a
    server away) leaves every report either done or still due, and the next round goes on."""

    reports: ReportRepository
    store: RetentionStore
    erasure: ErasureService
    periods: Periods
    clock: Callable[[], datetime] = utc_now
    count: Callable[[What, int], None] = lambda what, n: None
    batch: int = BATCH
    # Where the round's photo removals go to be applied by each report's owner; None: here.
    commands: Commands | None = None

    async def run_round(self) -> Erased:
        now = self.clock()
        contact = photos = 0
        async for report in self._due(now):
            erased = await self._contact(report, now)
            if erased:
                report = await self.reports.get(report.id)  # the erasure wrote it
            contact += erased
            photos += await self._photos(report, now)
        erased_now = Erased(contact, photos, await self._forget_contact_reads(now))
        for what in ("contact", "photos", "audit"):
            self.count(what, getattr(erased_now, what))
        if erased_now != Erased():
            log.info("retention erased %s", erased_now)
        return erased_now

    async def _contact(self, report: Report, now: datetime) -> int:
        """The people whose contact data went: supporters, then the reporter."""
        supporters = await self.store.supporters(report.id)
        if not contact_due(report, bool(supporters), self.periods, now):
            return 0
        # Supporters before the reporter: the reporter's erasure is what the report shows,
        # so it must come last for a round cut short to leave the report still due.
        # Each erasure by the report's owner, the one writer of its document (a command when
        # there is one to ask: this round runs in the leading replica).
        erased = 0
        for key in supporters:
            erased += await self.erasure.erase_by_link(LinkHolder(report.id, key))
        if report.reporter is not None:
            try:
                await self.erasure.erase_reporter_by_owner(report)
            except ReportChangedMeanwhile:
                return erased  # busy with other writes: the next round finds it still due
            erased += 1
        return erased

    async def _photos(self, report: Report, now: datetime) -> int:
        if not photos_due(report, self.periods, now):
            return 0
        if self.commands is None:
            removed = await self.store.remove_photos(report, now)
        else:
            action = PhotoRemoval(at=now)
            command = ReportCommandRequested(
                report_id=report.id, jurisdiction=report.jurisdiction, action=action
            )
            removed = await self.commands.run(command)
        return len(report.photos) if removed else 0

    async def apply_command(self, command: ReportCommandRequested) -> bool:
        """The owner's side of `_photos`: removed if still due; False if not (any more)."""
        action = command.action
        if not isinstance(action, PhotoRemoval):
            raise TypeError(f"{action.kind} is no photo removal")
        report = await self.reports.get(command.report_id)
        due = photos_due(report, self.periods, action.at)
        return due and await self.store.remove_photos(report, action.at)

    async def _forget_contact_reads(self, now: datetime) -> int:
        forgotten = 0
        before = audit_kept_since(self.periods, now)
        while (gone := await self.store.forget_contact_reads(before, self.batch)) > 0:
            forgotten += gone
            if gone < self.batch:
                break
        return forgotten

    async def _due(self, now: datetime) -> AsyncIterator[Report]:
        """The candidates, read page by page; each is decided again on what it is now."""
        contact_before = closed_before(self.periods.contact, now)
        photos_before = closed_before(self.periods.photos, now)
        after = ""
        while page := await self.store.due(contact_before, photos_before, after, self.batch):
            for report_id in page:
                with contextlib.suppress(ReportNotFound):
                    yield await self.reports.get(report_id)
            if len(page) < self.batch:
                return
            after = page[-1]
