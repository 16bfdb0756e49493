"""Use cases of what a citizen tells us after the report: the answer to "is it fixed?", the
mail preferences from a mail's link and a browser's push subscription."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from stadtmelder_reports.citizen_links import domain as feedback_rules
from stadtmelder_reports.citizen_links.domain import FeedbackAlreadyGiven, FeedbackAnswer
from stadtmelder_reports.core import domain
from stadtmelder_reports.core.domain import Feedback, Report
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.core.service import WRITE_ATTEMPTS, utc_now
from stadtmelder_reports.errors import ReportChangedMeanwhile
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import (
    NotificationPreferencesChanged,
    PushSubscriptionChanged,
)
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Language, PushSubscription

# The event a use case announces, built and queued by `CitizenChoices._announce`.
AnnouncedT = TypeVar("AnnouncedT", bound=Event)


@dataclass(frozen=True)
class CitizenChoices:
    reports: ReportRepository
    on_events_pending: Callable[[str], None] = lambda report_id: None
    clock: Callable[[], datetime] = utc_now

    async def give_feedback(
        self, report_id: str, recipient: str, answer: FeedbackAnswer
    ) -> tuple[Feedback, bool]:
        """Record a citizen's answer to "is it fixed?" once; True with it when it is new.

        `recipient` is the recipient key from the signed link. The same answer again is
        harmless (a second click); a different one about the same resolution is refused.
        """
        for _ in range(WRITE_ATTEMPTS):
            report = await self.reports.get(report_id)
            given = feedback_rules.given_feedback(report, recipient)
            if given is not None:
                if given.outcome != answer.outcome:
                    raise FeedbackAlreadyGiven(report_id, given)
                return given, False
            step = feedback_rules.answer_feedback(report, recipient, answer, self.clock())
            if await self.reports.record_feedback(report.id, report.revision, step):
                self.on_events_pending(report.id)
                return step.feedback, True
        raise ReportChangedMeanwhile(report_id)

    async def change_notification_preferences(
        self,
        report_id: str,
        recipient: str,
        opted_out: bool | None = None,
        language: Language | None = None,
    ) -> NotificationPreferencesChanged:
        """Announce a recipient's choice from a mail's link to notify, which keeps their data.

        `recipient` is the recipient key from the signed link, never an address.
        """
        report = await self.reports.get(report_id)
        return await self._announce(
            report,
            topics.NOTIFICATION_PREFERENCES,
            NotificationPreferencesChanged,
            recipient_key=recipient,
            opted_out=opted_out,
            language=language,
        )

    async def change_push_subscription(
        self,
        tracking_token: str,
        subscription: PushSubscription,
        subscribed: bool,
        language: Language = "de",
    ) -> PushSubscriptionChanged:
        """Announce a browser's (un)subscription to notify, which keeps it; the tracking token
        proves the browser belongs to the reporter."""
        report = await self.reports.by_tracking_token(domain.token_hash(tracking_token))
        return await self._announce(
            report,
            topics.PUSH_SUBSCRIPTIONS,
            PushSubscriptionChanged,
            subscription=subscription,
            subscribed=subscribed,
            language=language,
        )

    async def _announce(
        self, report: Report, topic: str, kind: type[AnnouncedT], **fields: Any
    ) -> AnnouncedT:
        """An event about the report, stamped now, queued in its outbox for the relay."""
        event = kind(
            report_id=report.id,
            jurisdiction=report.jurisdiction,
            occurred_at=self.clock(),
            **fields,
        )
        await self.reports.queue_event(report.id, topic, event)
        self.on_events_pending(report.id)
        return event
