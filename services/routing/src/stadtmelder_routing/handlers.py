"""Kafka consumers of the routing service."""

import logging

from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage

from stadtmelder_routing.service import RoutingService
from stadtmelder_shared import topics
from stadtmelder_shared.dead_letters import decode_or_dead_letter
from stadtmelder_shared.events import ReportSubmitted

log = logging.getLogger(__name__)


def register_handlers(broker: KafkaBroker, service: RoutingService, group_id: str) -> None:
    @broker.subscriber(
        topics.REPORTS_SUBMITTED,
        group_id=group_id,
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_report_submitted(message: KafkaMessage) -> None:
        event = await decode_or_dead_letter(message, ReportSubmitted, broker)
        if event is None:
            return
        routed = await service.route_report(event)
        context = {"report_id": event.report_id, "event_id": event.event_id}
        if routed is None:
            log.info("submission routed before; redelivery ignored", extra=context)
        else:
            log.info("report routed to %s by %s", routed.department.id, routed.rule, extra=context)
