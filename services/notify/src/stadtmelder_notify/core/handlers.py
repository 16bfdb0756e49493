"""Kafka consumers of the notify service."""

import logging

from faststream.kafka import KafkaBroker

from stadtmelder_notify.core.choices import FollowerChoices
from stadtmelder_notify.core.service import NotifyService
from stadtmelder_notify.delivery.domain import DeliveryFailed
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import (
    NotificationPreferencesChanged,
    PushSubscriptionChanged,
    ReportSupported,
    SupporterConfirmed,
)
from stadtmelder_shared.consumers import RetryPolicy
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.kafka import consumer
from stadtmelder_shared.partition_owner import Reassigned
from stadtmelder_shared.report_events import (
    ReportOverdue,
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
    ReportUnroutable,
)

log = logging.getLogger(__name__)
# Each message waits on a mail server and several database round trips; consumers of their own
# partitions (three by default) send for three reports at once. One partition's records, one
# report's, are still handled in order.
MAILING_WORKERS = 3
# Some messages failed and will be tried again with the redelivered event; the delivery log
# counts the failures and dead-letters a message itself after `delivery_max_failures`.
RETRIES = RetryPolicy(retried=(DeliveryFailed,))


def register_handlers(
    broker: KafkaBroker,
    service: NotifyService,
    choices: FollowerChoices,
    group_id: str,
    reassigned: Reassigned | None = None,
) -> None:
    """With `reassigned`, every consumer of a report's steps tells it of a new assignment."""

    @consumer(
        broker,
        topics.REPORTS_SUBMITTED,
        group_id,
        workers=MAILING_WORKERS,
        policy=RETRIES,
        listener=reassigned,
    )
    async def on_report_submitted(event: ReportSubmitted) -> None:
        told = await service.notify_submitted(event)
        log.info("%d reporters got a confirmation", len(told), extra=_context(event))

    @consumer(
        broker,
        topics.REPORTS_ROUTED,
        group_id,
        workers=MAILING_WORKERS,
        policy=RETRIES,
        listener=reassigned,
    )
    async def on_report_routed(event: ReportRouted) -> None:
        told = await service.notify_routed(event)
        log.info("%d people told the report was routed", len(told), extra=_context(event))

    @consumer(broker, topics.REPORTS_SUPPORTED, group_id, policy=RETRIES, listener=reassigned)
    async def on_report_supported(event: ReportSupported | SupporterConfirmed) -> None:
        # Told apart by their CloudEvents type; one report's, in the order they happened.
        match event:
            case ReportSupported():
                told = await service.notify_supported(event)
                log.info("%d supporters asked to confirm", len(told), extra=_context(event))
            case SupporterConfirmed():
                known = await service.notify_supporter_confirmed(event)
                log.info("a supporter confirmed (kept: %s)", known, extra=_context(event))

    @consumer(broker, topics.REPORTS_UNROUTABLE, group_id, policy=RETRIES, listener=reassigned)
    async def on_report_unroutable(event: ReportUnroutable) -> None:
        await service.notify_unroutable(event)

    @consumer(broker, topics.REPORTS_STATUS_CHANGED, group_id, policy=RETRIES, listener=reassigned)
    async def on_report_status_changed(event: ReportStatusChanged) -> None:
        told = await service.notify_status_changed(event)
        log.info("%d people told: %s", len(told), event.status, extra=_context(event))

    @consumer(broker, topics.REPORTS_OVERDUE, group_id, policy=RETRIES, listener=reassigned)
    async def on_report_overdue(event: ReportOverdue) -> None:
        told = await service.notify_overdue(event)
        log.warning("overdue, %d leads told", len(told), extra=_context(event))

    @consumer(
        broker, topics.NOTIFICATION_PREFERENCES, group_id, policy=RETRIES, listener=reassigned
    )
    async def on_notification_preferences_changed(event: NotificationPreferencesChanged) -> None:
        if await choices.change_preferences(event):
            log.info("notification preferences changed", extra=_context(event))
        else:
            log.warning("preferences for an unknown recipient ignored", extra=_context(event))

    @consumer(broker, topics.PUSH_SUBSCRIPTIONS, group_id, policy=RETRIES, listener=reassigned)
    async def on_push_subscription_changed(event: PushSubscriptionChanged) -> None:
        changed = await choices.change_push_subscription(event)
        what = "subscribed" if event.subscribed else "unsubscribed"
        log.info(
            "a browser %s (%s)", what, "done" if changed else "nothing to do", extra=_context(event)
        )


def _context(event: Event) -> dict[str, str]:
    return {"report_id": event.report_id, "event_id": event.event_id}
