"""Kafka consumers of the notify service."""

import logging

from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from stadtmelder_notify.service import NotifyService
from stadtmelder_shared import topics
from stadtmelder_shared.events import ReportRouted

log = logging.getLogger(__name__)


def register_handlers(broker: KafkaBroker, service: NotifyService, group_id: str) -> None:
    @broker.subscriber(
        topics.REPORTS_ROUTED,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_report_routed(event: ReportRouted) -> None:
        notified = await service.notify_routed(event)
        context = {"report_id": event.report_id, "event_id": event.event_id}
        if notified is None:
            log.info("nobody to notify, or notified before", extra=context)
        else:
            log.info("reporter notified by e-mail", extra=context)
