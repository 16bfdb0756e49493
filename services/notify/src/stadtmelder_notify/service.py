"""The notify use case: tell reporters and supporters each step, once per event and recipient."""

import asyncio
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol

from stadtmelder_notify.domain import (
    Mail,
    delivery_key,
    overdue_mail,
    routed_mail,
    status_mail,
    supported_mail,
)
from stadtmelder_notify.mailer import Mailer
from stadtmelder_notify.repository import Claim, DeliveryLog, FollowerStore
from stadtmelder_notify.status_texts import STATUS_TEXTS
from stadtmelder_shared import topics
from stadtmelder_shared.events import (
    CitizenNotified,
    Event,
    Reporter,
    ReportOverdue,
    ReportRouted,
    ReportStatusChanged,
    ReportSupported,
    derived_event_id,
)

MailFor = Callable[[str, str], Mail]


class EventPublisher(Protocol):
    async def publish(self, topic: str, event: Event) -> None: ...


class NotifyService:
    def __init__(
        self,
        deliveries: DeliveryLog,
        followers: FollowerStore,
        mailer: Mailer,
        publisher: EventPublisher,
        public_base_url: str,
        lease: timedelta = timedelta(seconds=15),
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        wait_seconds: float = 0.5,
        staff_url_template: str = "http://127.0.0.1:8000/api/v1/staff/reports/{report_id}",
    ) -> None:
        self._staff_url_template = staff_url_template
        self._deliveries = deliveries
        self._followers = followers
        self._mailer = mailer
        self._publisher = publisher
        self._base_url = public_base_url
        self._lease = lease
        self._clock = clock
        self._wait_seconds = wait_seconds

    async def notify_routed(self, event: ReportRouted) -> list[CitizenNotified]:
        """Mail the reporter and every supporter; each only once, however often this runs."""
        await self.remember_reporter(event.report_id, event.reporter)
        recipients = [event.reporter, *await self._followers.of(event.report_id)]
        return await self._tell(
            event,
            "routed",
            recipients,
            lambda to, language: routed_mail(event, to, language, self._base_url),
        )

    async def notify_supported(self, event: ReportSupported) -> list[CitizenNotified]:
        """Remember the supporter as a follower of the report and confirm it to them."""
        if event.supporter is None or event.supporter.email is None:
            return []
        await self._followers.add(event.report_id, event.supporter)
        return await self._tell(
            event,
            "supported",
            [event.supporter],
            lambda to, language: supported_mail(event, to, language, self._base_url),
        )

    async def remember_reporter(self, report_id: str, reporter: Reporter | None) -> None:
        """The reporter hears about every later step, like the supporters."""
        if reporter is not None and reporter.email:
            await self._followers.add(report_id, reporter)

    async def notify_status_changed(self, event: ReportStatusChanged) -> list[CitizenNotified]:
        """Tell reporter and supporters about a public step, with the department's comment."""
        if event.status not in STATUS_TEXTS:
            return []

        def mail_for(to: str, language: str) -> Mail:
            mail = status_mail(event, to, language, self._base_url)
            assert mail is not None
            return mail

        followers: list[Reporter | None] = list(await self._followers.of(event.report_id))
        return await self._tell(event, event.status, followers, mail_for)

    async def notify_overdue(self, event: ReportOverdue) -> list[CitizenNotified]:
        """Escalate to the department lead."""
        if not event.escalated_to:
            return []
        lead = Reporter(email=event.escalated_to, language="de")
        staff_url = self._staff_url_template.format(report_id=event.report_id)
        return await self._tell(
            event, "overdue", [lead], lambda to, _: overdue_mail(event, to, staff_url)
        )

    async def _tell(
        self, event: Event, step: str, recipients: list[Reporter | None], mail_for: MailFor
    ) -> list[CitizenNotified]:
        told = []
        seen: set[str] = set()
        for recipient in recipients:
            if recipient is None or recipient.email is None or recipient.email.lower() in seen:
                continue
            seen.add(recipient.email.lower())
            key = delivery_key(event.event_id, recipient.email, "email")
            if not await self._claim(key):
                continue
            try:
                await self._mailer.send(
                    mail_for(recipient.email, recipient.language), recipient.language
                )
            except Exception as error:
                await self._deliveries.mark_failed(key, type(error).__name__, self._clock())
                raise
            await self._deliveries.mark_sent(key, self._clock())
            notified = CitizenNotified(
                event_id=derived_event_id(event.event_id, f"notified:{key}"),
                report_id=event.report_id,
                jurisdiction=event.jurisdiction,
                channel="email",
                notification=step,
                caused_by=event.event_id,
            )
            await self._publisher.publish(topics.CITIZENS_NOTIFIED, notified)
            told.append(notified)
        return told

    async def _claim(self, key: str) -> bool:
        """True once we may send; False if it was sent. Waits out another sender's lease."""
        while True:
            now = self._clock()
            claim = await self._deliveries.claim(key, now, now + self._lease)
            if claim is Claim.CLAIMED:
                return True
            if claim is Claim.ALREADY_SENT:
                return False
            await asyncio.sleep(self._wait_seconds)
