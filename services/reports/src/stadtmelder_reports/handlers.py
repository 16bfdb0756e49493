"""Kafka consumers of the reports service: keep reports current with others' events and apply
the transitions department systems send."""

import logging
from typing import Any, cast

from aiokafka import ConsumerRecord
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.kafka.annotations import KafkaMessage

from stadtmelder_reports.errors import ReportChangedMeanwhile, ReportNotFound, ReportsError
from stadtmelder_reports.service import ReportService
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.staff.updates import department_of, parse_update
from stadtmelder_shared import topics
from stadtmelder_shared.dead_letters import decode_or_dead_letter
from stadtmelder_shared.events import (
    CitizenNotified,
    ReportRouted,
    ReportUnroutable,
    WorkItemSendFailed,
)
from stadtmelder_shared.kafka import consumer

log = logging.getLogger(__name__)


def register_handlers(
    broker: KafkaBroker, service: ReportService, work: WorkService, group_id: str
) -> None:
    @consumer(broker, topics.REPORTS_ROUTED, group_id)
    async def on_report_routed(event: ReportRouted) -> None:
        context = {"report_id": event.report_id, "event_id": event.event_id}
        try:
            applied = await service.record_routing(event)
        except ReportNotFound:
            log.warning("routed event for an unknown report ignored", extra=context)
            return
        log.info("report routed" if applied else "routed event seen before", extra=context)

    @consumer(broker, topics.REPORTS_UNROUTABLE, group_id)
    async def on_report_unroutable(event: ReportUnroutable) -> None:
        context = {"report_id": event.report_id, "event_id": event.event_id}
        try:
            applied = await service.record_unroutable(event)
        except ReportNotFound:
            log.warning("unroutable event for an unknown report ignored", extra=context)
            return
        log.info("report put into triage" if applied else "unroutable seen before", extra=context)

    @consumer(broker, topics.CITIZENS_NOTIFIED, group_id)
    async def on_citizen_notified(message: KafkaMessage) -> None:
        event = await decode_or_dead_letter(message, CitizenNotified, broker)
        if event is None:
            return
        context = {"report_id": event.report_id, "event_id": event.event_id}
        try:
            applied = await service.record_notice(event)
        except ReportNotFound:
            log.warning("notice about an unknown report ignored", extra=context)
            return
        log.info("citizen notified" if applied else "notice seen before", extra=context)

    @consumer(broker, topics.WORK_ITEMS_SEND_FAILED, group_id)
    async def on_work_item_send_failed(message: KafkaMessage) -> None:
        event = await decode_or_dead_letter(message, WorkItemSendFailed, broker)
        if event is None:
            return
        context = {"report_id": event.report_id, "event_id": event.event_id}
        try:
            noted = await work.note_send_failure(event)
        except ReportNotFound:
            log.warning("send failure of an unknown report ignored", extra=context)
            return
        log.warning("department send failure noted" if noted else "seen before", extra=context)

    @broker.subscriber(
        pattern=topics.DEPARTMENT_UPDATES_PATTERN,
        group_id=f"{group_id}.department-updates",
        auto_offset_reset="earliest",
        ack_policy=AckPolicy.NACK_ON_ERROR,
    )
    async def on_department_update(message: KafkaMessage) -> None:
        record = _record(message)
        topic = record.topic
        department_id = department_of(topic)
        if department_id is None:
            return
        try:
            update = parse_update(message.body)
            applied = await work.apply_department_update(
                department_id, update.event_id, update.report_id, update.request()
            )
        except ReportChangedMeanwhile:
            raise  # others kept writing: worth another try, so no acknowledgement
        except ReportsError as problem:
            await _dead_letter(broker, message, topic, str(problem))
            return
        context = {"report_id": update.report_id, "event_id": update.event_id}
        log.info("department update applied" if applied else "update seen before", extra=context)


async def _dead_letter(broker: KafkaBroker, message: KafkaMessage, topic: str, reason: str) -> None:
    """Park an update that can never apply, with the reason, and go on with the next one."""
    record = _record(message)
    log.warning(
        "department update rejected: %s",
        reason,
        extra={"topic": topic, "partition": record.partition, "offset": record.offset},
    )
    headers = {str(k): str(v) for k, v in (message.headers or {}).items()}
    headers.update(
        {
            "dlq_reason": reason[:500],
            "dlq_topic": topic,
            "dlq_partition": str(record.partition),
            "dlq_offset": str(record.offset),
        }
    )
    await broker.publish(message.body, topics.dead_letter(topic), key=record.key, headers=headers)


def _record(message: KafkaMessage) -> "ConsumerRecord[Any, Any]":
    # One record per message: this subscriber does not consume in batches.
    return cast("ConsumerRecord[Any, Any]", message.raw_message)
