"""Supporting a report with double opt-in: support (counted at once, the address only asked),
confirm by the mailed link, and forget addresses never confirmed."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from stadtmelder_reports.commands.domain import (
    ReportCommandRequested,
    Support,
    SupportConfirmation,
    SupporterExpiry,
)
from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.core.service import WRITE_ATTEMPTS, ReportService, utc_now
from stadtmelder_reports.erasure.service import ErasureService
from stadtmelder_reports.errors import ReportChangedMeanwhile, ReportClosed, ReportNotFound
from stadtmelder_reports.support import domain as opt_in
from stadtmelder_reports.support.commanded import command_of, support_action
from stadtmelder_reports.support.store import SupporterStore
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.data_keys import supporter_key_id
from stadtmelder_shared.event_values import Reporter
from stadtmelder_shared.link_tokens import LinkHolder
from stadtmelder_shared.supporters import CONFIRM_SUPPORT_WITHIN


@dataclass(frozen=True)
class SupportService:
    """Writes the report document through the reports' store and `reports`' own use cases."""

    reports: ReportService
    store: SupporterStore
    erasure: ErasureService
    on_events_pending: Callable[[str], None] = lambda report_id: None
    clock: Callable[[], datetime] = utc_now
    # Notes the cleanup reads per page.
    batch: int = 100
    # Where support asked over HTTP goes to be applied by the report's owner; None: here.
    commands: Commands | None = None

    async def support(self, report_id: str, contact: Reporter | None) -> Report:
        """Count the support at once; an address gets only the confirmation request until it
        is confirmed (and the request again, when supported again, at most every so often)."""
        if self.commands is None:
            return await self._support_here(report_id, contact)
        report = await self.reports.repository.get(report_id)
        action = await support_action(self.reports, report_id, contact)
        await self.commands.run(command_of(report, action))
        return await self.reports.public_report(report_id)

    async def apply_command(self, command: ReportCommandRequested) -> bool:
        """The owner's side of `support` and `confirm`, the address opened from its seal."""
        action = command.action
        if isinstance(action, Support):
            contacts = Contacts(self.reports.data_keys)
            contact = await contacts.open_reporter(action.sealed, "supporter")
            await self._support_here(command.report_id, contact)
        elif isinstance(action, SupportConfirmation):
            await self._confirm_here(LinkHolder(command.report_id, action.recipient))
        elif isinstance(action, SupporterExpiry):
            return bool(await self._forget(command.report_id, action.recipient, self.clock()))
        else:
            raise TypeError(f"{action.kind} is no support")
        return True

    async def _support_here(self, report_id: str, contact: Reporter | None) -> Report:
        report = await self.reports.repository.get(report_id)
        if report.hidden:
            raise ReportNotFound(report_id)
        if not report.is_open:
            raise ReportClosed(report_id)
        if contact is not None and (not contact.email or opt_in.same_address(report, contact)):
            contact = None  # nobody to ask, or the reporter, who hears every step anyway
        if contact is None or contact.email is None:
            return await self.reports.support_report(report_id, None)
        recipient = self.reports.recipient_keys.of(report_id, contact.email)
        known, revision = await self.store.supporter(report_id, recipient)
        now = self.clock()
        match opt_in.next_step(known, now):
            case "ask":
                # Noted first: a crash after it leaves a note too many, which the cleanup drops.
                await self.store.note_unconfirmed(
                    report_id, recipient, now + CONFIRM_SUPPORT_WITHIN
                )
                return await self.reports.support_report(report_id, contact)
            case "ask_again":
                await self._ask_again(report, revision, recipient, contact, now)
        return await self.reports.public_report(report_id)

    async def _ask_again(
        self, report: Report, revision: int, recipient: str, contact: Reporter, now: datetime
    ) -> None:
        sealed = await Contacts(self.reports.data_keys).seal_reporter(
            supporter_key_id(report.id, recipient), contact, "supporter"
        )
        assert sealed is not None
        await self.store.note_unconfirmed(report.id, recipient, now + CONFIRM_SUPPORT_WITHIN)
        event = opt_in.asked_again(report, sealed, now)
        # Another write meanwhile: this request is simply not repeated; the next support asks.
        if await self.store.change(report.id, revision, recipient, {"asked_at": now}, event):
            self.on_events_pending(report.id)

    async def to_confirm(self, holder: LinkHolder) -> tuple[Report, opt_in.Supporter]:
        """What the link would confirm; refused as confirming would be."""
        report = await self.reports.public_report(holder.report_id)
        known, _ = await self.store.supporter(holder.report_id, holder.recipient)
        opt_in.confirmation(report, known, self.clock())
        assert known is not None
        return report, known

    async def confirm(self, holder: LinkHolder) -> Report:
        """From now on the supporter hears each step; confirming twice changes nothing."""
        if self.commands is None:
            return await self._confirm_here(holder)
        report = await self.reports.repository.get(holder.report_id)
        await self.commands.run(command_of(report, SupportConfirmation(recipient=holder.recipient)))
        return await self.reports.public_report(holder.report_id)

    async def _confirm_here(self, holder: LinkHolder) -> Report:
        for _ in range(WRITE_ATTEMPTS):
            report = await self.reports.public_report(holder.report_id)
            known, revision = await self.store.supporter(holder.report_id, holder.recipient)
            now = self.clock()
            event = opt_in.confirmation(report, known, now)
            if event is None:
                return report
            fields = {"confirmed": True, "confirmed_at": now}
            if await self.store.change(report.id, revision, holder.recipient, fields, event):
                self.on_events_pending(report.id)
                await self.store.drop_note(report.id, holder.recipient)
                return report
        raise ReportChangedMeanwhile(holder.report_id)

    async def forget_unconfirmed(self) -> int:
        """Erase the addresses not confirmed in time, as on request: their data key goes (so
        their sealed copies in Kafka never open again), and notify forgets them too."""
        now, forgotten = self.clock(), 0
        while due := await self.store.unconfirmed_due(now, self.batch):
            for report_id, recipient in due:
                forgotten += await self._forget_by_owner(report_id, recipient, now)
            if len(due) < self.batch:
                break
        return forgotten

    async def _forget_by_owner(self, report_id: str, recipient: str, now: datetime) -> int:
        """`_forget` by the report's owner, the one writer of its document; this timer runs in
        the leading replica (or in each), which need not own the report."""
        if self.commands is None:
            return await self._forget(report_id, recipient, now)
        report = (report_id, self.reports.jurisdiction.code)
        return int(
            await self.commands.run(command_of(report, SupporterExpiry(recipient=recipient)))
        )

    async def _forget(self, report_id: str, recipient: str, now: datetime) -> int:
        known, _ = await self.store.supporter(report_id, recipient)
        if known is not None and not known.confirmed and not opt_in.is_expired(known, now):
            # Asked again meanwhile: look again when that request runs out.
            assert known.asked_at is not None
            check_at = known.asked_at + CONFIRM_SUPPORT_WITHIN
            await self.store.note_unconfirmed(report_id, recipient, check_at)
            return 0
        erased = False
        if known is not None and not known.confirmed:
            erased = await self.erasure.erase_supporter(LinkHolder(report_id, recipient))
        await self.store.drop_note(report_id, recipient)
        return int(erased)
