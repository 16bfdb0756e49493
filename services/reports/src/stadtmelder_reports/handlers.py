"""Kafka consumers of the reports service: keep report documents current with others' events."""

import logging

from faststream import AckPolicy
from faststream.kafka import KafkaBroker

from stadtmelder_reports.errors import ReportNotFound
from stadtmelder_reports.service import ReportService
from stadtmelder_shared import topics
from stadtmelder_shared.events import ReportRouted

log = logging.getLogger(__name__)


def register_handlers(broker: KafkaBroker, service: ReportService, group_id: str) -> None:
    @broker.subscriber(
        topics.REPORTS_ROUTED,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_report_routed(event: ReportRouted) -> None:
        context = {"report_id": event.report_id, "event_id": event.event_id}
        try:
            applied = await service.record_routing(event)
        except ReportNotFound:
            log.warning("routed event for an unknown report ignored", extra=context)
            return
        log.info("report routed" if applied else "routed event seen before", extra=context)
