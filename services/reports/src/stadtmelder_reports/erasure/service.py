"""Use cases of erasure on request: a reporter by tracking token, a supporter by mail link, an
alert subscriber by their alert's link."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime

from stadtmelder_reports.alerts.domain import AlertLinkInvalid
from stadtmelder_reports.commands.domain import AlertErasure, Erasure, ReportCommandRequested
from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.domain import Report, token_hash
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.core.service import WRITE_ATTEMPTS, utc_now
from stadtmelder_reports.erasure.alert_store import AlertContactStore, NoAlerts, Subscriber
from stadtmelder_reports.erasure.domain import (
    erase_alert_subscriber,
    erase_reporter,
    erase_supporter,
)
from stadtmelder_reports.erasure.store import ContactStore
from stadtmelder_reports.errors import ReportChangedMeanwhile
from stadtmelder_shared.data_keys import alert_key_id, supporter_key_id
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS, LinkHolder, RecipientKeys

# Destroys the data key that seals a subject's contact data in Kafka records (crypto-shredding);
# idempotent, so a repeated request destroys nothing twice.
DestroyKey = Callable[[str], Awaitable[None]]


async def keep_no_keys(key_id: str) -> None:
    """For a deployment whose events carry no sealed contact data: nothing to destroy."""


@dataclass(frozen=True)
class ErasureService:
    reports: ReportRepository
    store: ContactStore
    destroy_key: DestroyKey = keep_no_keys
    on_events_pending: Callable[[str], None] = lambda report_id: None
    clock: Callable[[], datetime] = utc_now
    alerts: AlertContactStore = field(default_factory=NoAlerts)
    recipient_keys: RecipientKeys = DEVELOPMENT_RECIPIENT_KEYS
    # Where erasures asked over HTTP go to be applied by the report's owner; None: here.
    commands: Commands | None = None

    async def erase_reporter(self, tracking_token: str) -> datetime:
        """Erase the reporter's contact data; when it was erased, the first time if repeated."""
        report = await self.reports.by_tracking_token(token_hash(tracking_token))
        if self.commands is None:
            return await self.erase_reporter_of(report)
        await self.commands.run(_erasure(report, None))
        erased_at = (await self.reports.get(report.id)).contact_erased_at
        if erased_at is None:  # applied, so only a lost write could leave it unset
            raise ReportChangedMeanwhile(report.id)
        return erased_at

    async def erase_by_link(self, holder: LinkHolder) -> bool:
        """Erase whom a mail link was made for, reporter or supporter; False if nobody is kept
        under its key (any more), as after an earlier erasure."""
        if self.commands is None:
            return await self._erase_by_link_here(holder)
        report = await self.reports.get(holder.report_id)
        return await self.commands.run(_erasure(report, holder.recipient))

    async def erase_reporter_by_owner(self, report: Report) -> bool:
        """`erase_reporter_of` by the report's owner (retention's timer runs in the leading
        replica); False if erased before."""
        if self.commands is None:
            erased_before = report.contact_erased_at is not None
            await self.erase_reporter_of(report)
            return not erased_before
        return await self.commands.run(_erasure(report, None))

    async def apply_command(self, command: ReportCommandRequested) -> bool:
        """The owner's side of the two above (and of an alert subscriber's erasure, whose
        subscription the command names): True if someone's data was erased now."""
        action = command.action
        if isinstance(action, AlertErasure):
            return await self._erase_alert_here(Subscriber(command.report_id, command.jurisdiction))
        if not isinstance(action, Erasure):
            raise TypeError(f"{action.kind} is no erasure")
        if action.recipient is not None:
            return await self._erase_by_link_here(LinkHolder(command.report_id, action.recipient))
        report = await self.reports.get(command.report_id)
        erased_before = report.contact_erased_at is not None
        await self.erase_reporter_of(report)
        return not erased_before

    async def _erase_by_link_here(self, holder: LinkHolder) -> bool:
        report = await self.reports.get(holder.report_id)
        email = report.reporter.email if report.reporter else None
        if email and self.recipient_keys.of(report.id, email) == holder.recipient:
            await self.erase_reporter_of(report)
            return True
        return await self.erase_supporter(holder)

    async def erase_reporter_of(self, report: Report) -> datetime:
        """The same for a report at hand: retention erases by report, not by token."""
        # The key first: a crash after it leaves the request to repeat, never a readable record.
        await self.destroy_key(report.id)
        for _ in range(WRITE_ATTEMPTS):
            if report.contact_erased_at is not None:
                return report.contact_erased_at  # erased before: a repeat changes nothing
            erasure = erase_reporter(report, self.clock(), self.recipient_keys)
            if await self.store.erase_reporter(report.id, report.revision, erasure):
                self.on_events_pending(report.id)
                return erasure.erased_at
            report = await self.reports.get(report.id)
        raise ReportChangedMeanwhile(report.id)

    async def erase_supporter(self, holder: LinkHolder) -> bool:
        """Erase the supporter a mail link was made for; False if none is kept (any more)."""
        report = await self.reports.get(holder.report_id)
        await self.destroy_key(supporter_key_id(holder.report_id, holder.recipient))
        erased = await self.store.erase_supporter(
            report.id, erase_supporter(report, holder.recipient, self.clock())
        )
        if erased:
            self.on_events_pending(report.id)
        return erased

    async def erase_alert_subscriber(self, alert_token: str) -> None:
        """Cancel the alert of an alert mail's link and erase its address everywhere; a
        repeat changes nothing. An unknown token is refused (AlertLinkInvalid, 404)."""
        subscriber = await self.alerts.subscriber_of(token_hash(alert_token))
        if subscriber is None:
            raise AlertLinkInvalid()
        if self.commands is None:
            await self._erase_alert_here(subscriber)
            return
        # The subscription's one writer is the owner of its partition (`report_id` names it).
        await self.commands.run(
            ReportCommandRequested(
                report_id=subscriber.subscription_id,
                jurisdiction=subscriber.jurisdiction,
                action=AlertErasure(),
            )
        )

    async def _erase_alert_here(self, subscriber: Subscriber) -> bool:
        await self.destroy_key(alert_key_id(subscriber.subscription_id))
        erasure = erase_alert_subscriber(*subscriber, self.clock())
        return await self.alerts.erase_subscriber(subscriber.subscription_id, erasure)


def _erasure(report: Report, recipient: str | None) -> ReportCommandRequested:
    return ReportCommandRequested(
        report_id=report.id, jurisdiction=report.jurisdiction, action=Erasure(recipient=recipient)
    )
