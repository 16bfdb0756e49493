"""Area alerts in notify: the double opt-in, a mail per new report in the area, daily digests."""

import asyncio
import logging
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol

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
from stadtmelder_notify.settings import local_zone
from stadtmelder_shared import topics
from stadtmelder_shared.alert_areas import CONFIRM_WITHIN
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.events import (
    AreaAlertCancelled,
    AreaAlertConfirmed,
    AreaAlertRequested,
    Event,
    ReportRouted,
)

log = logging.getLogger(__name__)
DIGEST_BATCH = 5000


def utc_now() -> datetime:
    return datetime.now(UTC)


class DeadLetters(Protocol):
    async def put(self, topic: str, event: Event, reason: str) -> None: ...


class AlertService:
    def __init__(
        self,
        subscriptions: SubscriptionStore,
        reports: NewReportStore,
        digest_queue: DigestQueue,
        deliveries: DeliveryLog,
        mailer: Mailer,
        districts: Districts,
        public_base_url: str,
        *,
        lease: timedelta = timedelta(seconds=15),
        clock: Callable[[], datetime] = utc_now,
        wait_seconds: float = 0.5,
        timezone: str = "Europe/Berlin",
        digest_at: time = time(7, 0),
        keep_reports: timedelta = timedelta(days=3),
        dead_letters: DeadLetters | None = None,
        max_failures: int = 8,
        contacts: Contacts,
    ) -> None:
        self._subscriptions = subscriptions
        self._reports = reports
        self._digest_queue = digest_queue
        self._deliveries = deliveries
        self._mailer = mailer
        self._districts = districts
        self._mails = AlertMails(districts, AlertLinks(public_base_url))
        self._lease = lease
        self._clock = clock
        self._wait_seconds = wait_seconds
        self._zone = local_zone(timezone)
        self._digest_at = digest_at
        self._keep_reports = keep_reports
        self._dead_letters = dead_letters
        self._max_failures = max_failures
        self._contacts = contacts

    # --- the subscription's steps --------------------------------------------------------------

    async def on_requested(self, event: AreaAlertRequested) -> bool:
        """Keep the request and send the confirmation mail once; True when it was sent now."""
        email = await self._contacts.open(event.email, "alert_email")
        token = await self._contacts.open(event.confirm_token, "alert_confirm_token")
        if email is None or token is None:
            return False  # erased before it was confirmed: nobody to write to
        subscription = await self._subscriptions.add(requested_subscription(event, email, token))
        if subscription.status != "requested" or subscription.email is None:
            return False
        if self._clock() - subscription.requested_at > CONFIRM_WITHIN:
            return False  # a replayed old request: its link no longer works
        key = delivery_key(event.event_id, subscription.email, "email")
        mail = self._mails.confirmation(subscription, key)
        return await self._send_once(key, mail, subscription.language, (topics.AREA_ALERTS, event))

    async def on_confirmed(self, event: AreaAlertConfirmed) -> int:
        """Switch the alert on, and catch up with reports routed since the confirmation that
        were seen before it (the two arrive on different topics, in any order)."""
        stored = await self._subscriptions.get(event.report_id)
        if stored is None:
            return 0
        subscription = confirmed(stored, event.occurred_at)
        if subscription is not None:
            await self._subscriptions.save_confirmed(subscription)
        elif stored.status == "confirmed":
            # Redelivered, perhaps after a crash halfway: catch up again, the delivery log and
            # the digest queue keep every mail single.
            subscription = stored
        else:
            return 0
        sent = 0
        for report in await self._reports.routed_since(event.occurred_at):
            if concerns(subscription, report, self._districts.at(report.location)):
                sent += await self._deliver(subscription, report, (topics.AREA_ALERTS, event))
        return sent

    async def on_cancelled(self, event: AreaAlertCancelled) -> None:
        await self._subscriptions.cancel(event.report_id, event.occurred_at)

    # --- new reports ---------------------------------------------------------------------------

    async def on_routed(self, event: ReportRouted) -> int:
        """Alert every confirmed subscription the new report concerns; the routing carries
        the place, so the submission is not waited for."""
        cause = (topics.REPORTS_ROUTED, event)
        report = routed_report(event)
        if report is None:
            # Without a place, or from an older routing: its submitted part, if an older notify
            # stored one, completes it.
            await self._reports.add_routed(routed_part(event))
            return await self._match(event.report_id, cause)
        # Kept for subscriptions confirmed later, whose catch-up finds it (`on_confirmed`).
        await self._reports.add(report)
        return await self._alert(report, cause)

    async def _match(self, report_id: str, cause: tuple[str, Event]) -> int:
        report = await self._reports.complete(report_id)
        return 0 if report is None else await self._alert(report, cause)

    async def _alert(self, report: NewReport, cause: tuple[str, Event]) -> int:
        """Alert every confirmed subscription the report concerns."""
        district = self._districts.at(report.location)
        candidates = await self._subscriptions.candidates(
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
            await self._digest_queue.add(DigestItem(subscription.id, day, report))
            return 0
        # Keyed by report and address: overlapping alerts of one person send one mail.
        key = delivery_key(f"area-alert:{report.id}", subscription.email, "email")
        mail = self._mails.alert(subscription, report, key)
        return int(await self._send_once(key, mail, subscription.language, cause))

    # --- the daily job -------------------------------------------------------------------------

    async def send_due_digests(self) -> int:
        """One mail per subscription and past day; a digest failing now is tried next time."""
        before = first_undue_day(self._clock(), self._zone, self._digest_at)
        items = await self._digest_queue.due(before, DIGEST_BATCH)
        grouped = digests(items)
        if len(items) >= DIGEST_BATCH and len(grouped) > 1:
            # The batch may end inside the last digest; it is sent whole next time.
            grouped.pop((items[-1].subscription_id, items[-1].day))
        sent = 0
        for (subscription_id, day), reports in grouped.items():
            subscription = await self._subscriptions.get(subscription_id)
            if subscription is not None and subscription.status == "confirmed":
                try:
                    sent += await self._send_digest(subscription, day, reports)
                except Exception:
                    log.exception(
                        "a daily digest could not be sent; trying again at the next run",
                        extra={"subscription_id": subscription_id, "day": day.isoformat()},
                    )
                    continue
            await self._digest_queue.remove(subscription_id, day)
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
        now = self._clock()
        await self._reports.forget_before(now - self._keep_reports)
        await self._subscriptions.forget_unconfirmed(now - CONFIRM_WITHIN)

    # --- exactly once --------------------------------------------------------------------------

    async def _send_once(
        self, key: str, mail: Mail, language: str, cause: tuple[str, Event] | None = None
    ) -> bool:
        """Send unless it was sent; True when it went now. A failure raises, so the event comes
        again, until `max_failures`: then its cause goes to the dead-letter topic instead."""
        if not await self._claim(key):
            return False
        try:
            await self._mailer.send(
                mail, language, lambda: self._deliveries.note_accepted(key, self._clock())
            )
        except Exception as error:
            reason = failure_reason(error)
            failures = await self._deliveries.mark_failed(key, reason, self._clock())
            if failures < self._max_failures:
                raise
            await self._give_up(key, reason, failures, cause)
            return False
        await self._deliveries.mark_sent(key, self._clock())
        return True

    async def _give_up(
        self, key: str, reason: str, failures: int, cause: tuple[str, Event] | None
    ) -> None:
        reason = f"{reason}; gave up an area alert mail after {failures} failed sends"
        if cause is not None and self._dead_letters is not None:
            # Dead-lettered before it is marked, so a crash in between repeats rather than loses.
            await self._dead_letters.put(*cause, reason)
        await self._deliveries.mark_abandoned(key, reason, self._clock())
        log.error(reason, extra={"delivery": key})

    async def _claim(self, key: str) -> bool:
        """True once we may send; False if it was sent. Waits out another sender's lease."""
        while True:
            now = self._clock()
            claim = await self._deliveries.claim(key, now, now + self._lease)
            if claim is Claim.CLAIMED:
                return True
            if claim is not Claim.HELD_ELSEWHERE:
                return False  # sent, or given up on
            await asyncio.sleep(self._wait_seconds)
