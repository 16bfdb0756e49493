"""Area alerts in notify: the double opt-in, a mail per new report in the area, daily digests."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from datetime import date, datetime, time, timedelta, tzinfo
from functools import cached_property

from stadtmelder_notify.alerts.digest_store import DigestQueue
from stadtmelder_notify.alerts.domain import (
    DigestItem,
    Districts,
    NewReport,
    Subscription,
    concerns,
    confirmed,
    digest_day,
    digests,
    first_undue_day,
    requested_subscription,
    routed_part,
    routed_report,
)
from stadtmelder_notify.alerts.mails import AlertLinks, AlertMails
from stadtmelder_notify.alerts.store import NewReportStore, SubscriptionStore
from stadtmelder_notify.delivery.domain import Mail, delivery_key, failure_reason
from stadtmelder_notify.delivery.mailer import Mailer
from stadtmelder_notify.delivery.repository import Claim, DeliveryLog
from stadtmelder_notify.delivery.service import DeadLetters
from stadtmelder_notify.settings import local_zone
from stadtmelder_shared import topics
from stadtmelder_shared.alert_areas import CONFIRM_WITHIN
from stadtmelder_shared.alert_events import (
    AreaAlertCancelled,
    AreaAlertConfirmed,
    AreaAlertRequested,
)
from stadtmelder_shared.clock import utc_now
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.report_events import ReportRouted

log = logging.getLogger(__name__)
DIGEST_BATCH = 5000


@dataclass(frozen=True)
class AlertService:
    subscriptions: SubscriptionStore
    reports: NewReportStore
    digest_queue: DigestQueue
    deliveries: DeliveryLog
    mailer: Mailer
    districts: Districts
    public_base_url: str
    _: KW_ONLY
    lease: timedelta = timedelta(seconds=15)
    clock: Callable[[], datetime] = utc_now
    wait_seconds: float = 0.5
    timezone: str = "Europe/Berlin"
    digest_at: time = time(7, 0)
    keep_reports: timedelta = timedelta(days=3)
    dead_letters: DeadLetters | None = None
    max_failures: int = 8
    contacts: Contacts

    @cached_property
    def _mails(self) -> AlertMails:
        return AlertMails(self.districts, AlertLinks(self.public_base_url))

    @cached_property
    def _zone(self) -> tzinfo:
        return local_zone(self.timezone)

    # --- the subscription's steps --------------------------------------------------------------

    async def on_requested(self, event: AreaAlertRequested) -> bool:
        """Keep the request and send the confirmation mail once; True when it was sent now."""
        email = await self.contacts.open(event.email, "alert_email")
        token = await self.contacts.open(event.confirm_token, "alert_confirm_token")
        if email is None or token is None:
            return False  # erased before it was confirmed: nobody to write to
        subscription = await self.subscriptions.add(requested_subscription(event, email, token))
        if subscription.status != "requested" or subscription.email is None:
            return False
        if self.clock() - subscription.requested_at > CONFIRM_WITHIN:
            return False  # a replayed old request: its link no longer works
        key = delivery_key(event.event_id, subscription.email, "email")
        mail = self._mails.confirmation(subscription, key)
        return await self._send_once(key, mail, subscription.language, (topics.AREA_ALERTS, event))

    async def on_confirmed(self, event: AreaAlertConfirmed) -> int:
        """Switch the alert on, and catch up with reports routed since the confirmation that
        were seen before it (the two arrive on different topics, in any order)."""
        stored = await self.subscriptions.get(event.report_id)
        if stored is None:
            return 0
        subscription = confirmed(stored, event.occurred_at)
        if subscription is not None:
            await self.subscriptions.save_confirmed(subscription)
        elif stored.status == "confirmed":
            # Redelivered, perhaps after a crash halfway: catch up again, the delivery log and
            # the digest queue keep every mail single.
            subscription = stored
        else:
            return 0
        sent = 0
        for report in await self.reports.routed_since(event.occurred_at):
            if concerns(subscription, report, self.districts.at(report.location)):
                sent += await self._deliver(subscription, report, (topics.AREA_ALERTS, event))
        return sent

    async def on_cancelled(self, event: AreaAlertCancelled) -> None:
        await self.subscriptions.cancel(event.report_id, event.occurred_at)

    # --- new reports ---------------------------------------------------------------------------

    async def on_routed(self, event: ReportRouted) -> int:
        """Alert every confirmed subscription the new report concerns; the routing carries
        the place, so the submission is not waited for."""
        cause = (topics.REPORTS_ROUTED, event)
        report = routed_report(event)
        if report is None:
            # Without a place, or from an older routing: its submitted part, if an older notify
            # stored one, completes it.
            await self.reports.add_routed(routed_part(event))
            return await self._match(event.report_id, cause)
        # Kept for subscriptions confirmed later, whose catch-up finds it (`on_confirmed`).
        await self.reports.add(report)
        return await self._alert(report, cause)

    async def _match(self, report_id: str, cause: tuple[str, Event]) -> int:
        report = await self.reports.complete(report_id)
        return 0 if report is None else await self._alert(report, cause)

    async def _alert(self, report: NewReport, cause: tuple[str, Event]) -> int:
        """Alert every confirmed subscription the report concerns."""
        district = self.districts.at(report.location)
        candidates = await self.subscriptions.candidates(
            report.jurisdiction, report.category.code, district, report.location
        )
        sent = 0
        for subscription in candidates:
            if concerns(subscription, report, district):
                sent += await self._deliver(subscription, report, cause)
        return sent

    async def _deliver(
        self, subscription: Subscription, report: NewReport, cause: tuple[str, Event]
    ) -> int:
        if subscription.email is None or subscription.token is None:
            return 0
        if subscription.frequency == "daily":
            day = digest_day(report.routed_at, self._zone)
            await self.digest_queue.add(DigestItem(subscription.id, day, report))
            return 0
        # Keyed by report and address: overlapping alerts of one person send one mail.
        key = delivery_key(f"area-alert:{report.id}", subscription.email, "email")
        mail = self._mails.alert(subscription, report, key)
        return int(await self._send_once(key, mail, subscription.language, cause))

    # --- the daily job -------------------------------------------------------------------------

    async def send_due_digests(self) -> int:
        """One mail per subscription and past day; a digest failing now is tried next time."""
        before = first_undue_day(self.clock(), self._zone, self.digest_at)
        items = await self.digest_queue.due(before, DIGEST_BATCH)
        grouped = digests(items)
        if len(items) >= DIGEST_BATCH and len(grouped) > 1:
            # The batch may end inside the last digest; it is sent whole next time.
            grouped.pop((items[-1].subscription_id, items[-1].day))
        sent = 0
        for (subscription_id, day), reports in grouped.items():
            subscription = await self.subscriptions.get(subscription_id)
            if subscription is not None and subscription.status == "confirmed":
                try:
                    sent += await self._send_digest(subscription, day, reports)
                except Exception:
                    log.exception(
                        "a daily digest could not be sent; trying again at the next run",
                        extra={"subscription_id": subscription_id, "day": day.isoformat()},
                    )
                    continue
            await self.digest_queue.remove(subscription_id, day)
        return sent

    async def _send_digest(
        self, subscription: Subscription, day: date, reports: list[NewReport]
    ) -> int:
        if subscription.email is None or subscription.token is None:
            return 0
        key = delivery_key(f"area-digest:{subscription.id}:{day}", subscription.email, "email")
        mail = self._mails.digest(subscription, day, reports, key)
        return int(await self._send_once(key, mail, subscription.language))

    async def forget_old(self) -> None:
        """Reports too old to be news, and requests never confirmed in time."""
        now = self.clock()
        await self.reports.forget_before(now - self.keep_reports)
        await self.subscriptions.forget_unconfirmed(now - CONFIRM_WITHIN)

    # --- exactly once --------------------------------------------------------------------------

    async def _send_once(
        self, key: str, mail: Mail, language: str, cause: tuple[str, Event] | None = None
    ) -> bool:
        """Send unless it was sent; True when it went now. A failure raises, so the event comes
        again, until `max_failures`: then its cause goes to the dead-letter topic instead."""
        if not await self._claim(key):
            return False
        try:
            await self.mailer.send(
                mail, language, lambda: self.deliveries.note_accepted(key, self.clock())
            )
        except Exception as error:
            reason = failure_reason(error)
            failures = await self.deliveries.mark_failed(key, reason, self.clock())
            if failures < self.max_failures:
                raise
            await self._give_up(key, reason, failures, cause)
            return False
        await self.deliveries.mark_sent(key, self.clock())
        return True

    async def _give_up(
        self, key: str, reason: str, failures: int, cause: tuple[str, Event] | None
    ) -> None:
        reason = f"{reason}; gave up an area alert mail after {failures} failed sends"
        if cause is not None and self.dead_letters is not None:
            # Dead-lettered before it is marked, so a crash in between repeats rather than loses.
            await self.dead_letters.put(*cause, reason)
        await self.deliveries.mark_abandoned(key, reason, self.clock())
        log.error(reason, extra={"delivery": key})

    async def _claim(self, key: str) -> bool:
        """True once we may send; False if it was sent. Waits out another sender's lease."""
        while True:
            now = self.clock()
            claim = await self.deliveries.claim(key, now, now + self.lease)
            if claim is Claim.CLAIMED:
                return True
            if claim is not Claim.HELD_ELSEWHERE:
                return False  # sent, or given up on
            await asyncio.sleep(self.wait_seconds)
