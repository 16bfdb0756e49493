"""Kafka consumers of the routing service."""

import logging
from dataclasses import dataclass

from faststream.kafka import KafkaBroker

from stadtmelder_routing.exactly_once import RecordTransactions, TransactionFailed
from stadtmelder_routing.service import RoutingService
from stadtmelder_shared import topics
from stadtmelder_shared.consumers import RetryPolicy
from stadtmelder_shared.dead_letters import Origin
from stadtmelder_shared.kafka import consumer
from stadtmelder_shared.partition_owner import PartitionOwnership
from stadtmelder_shared.report_events import ReportRouted, ReportStatusChanged, ReportSubmitted
from stadtmelder_shared.works import WorksChanged

log = logging.getLogger(__name__)
# A routing decision waits on several MongoDB and Kafka round trips; one consumer per partition
# (three by default) decides for three reports at once instead of queueing them behind each other.
SUBMISSION_WORKERS = 3


@dataclass(frozen=True)
class Intake:
    """How a replica of the running service takes submissions: each routed in a Kafka
    transaction of its own (`transactions`), hearing which partitions of reports.submitted it
    consumes (`ownership`, whose reports' timers it runs). Without them (tests, tools), a
    submission is routed as it comes."""

    transactions: RecordTransactions | None = None
    ownership: PartitionOwnership | None = None


def register_handlers(
    broker: KafkaBroker, service: RoutingService, group_id: str, intake: Intake | None = None
) -> None:
    """The consumers of submissions (taken as `intake` says), status changes and known works."""
    transactions = intake.transactions if intake else None

    async def route(event: ReportSubmitted, origin: Origin) -> None:
        record = f"{origin.topic}/{origin.partition}/{origin.offset}"
        decided = await service.route_report(event, record)
        context = {"report_id": event.report_id, "event_id": event.event_id}
        if decided is None:
            log.info("submission routed by an earlier record; this one ignored", extra=context)
        elif isinstance(decided, ReportRouted):
            log.info("routed to %s by %s", decided.department.id, decided.rule, extra=context)
        else:
            log.warning("unroutable, sent to triage: %s", decided.reason, extra=context)

    @consumer(
        broker,
        topics.REPORTS_SUBMITTED,
        group_id,
        workers=SUBMISSION_WORKERS,
        policy=RetryPolicy(retried=(TransactionFailed,)),
        listener=intake.ownership if intake else None,
    )
    async def on_report_submitted(event: ReportSubmitted, origin: Origin) -> None:
        if transactions is None:
            await route(event, origin)
        elif not await transactions.run(origin, lambda: route(event, origin)):
            log.info(
                "submission routed before; redelivery ignored", extra={"offset": origin.offset}
            )

    @consumer(broker, topics.REPORTS_STATUS_CHANGED, group_id)
    async def on_report_status_changed(event: ReportStatusChanged) -> None:
        if not await service.follow_status(event):
            context = {"report_id": event.report_id, "event_id": event.event_id}
            log.info("status change applied before or without a work item; ignored", extra=context)

    @consumer(broker, topics.WORKS_CHANGED, group_id)
    async def on_works_changed(event: WorksChanged) -> None:
        if await service.works.take(event):
            log.info("works %s kept at revision %d", event.works_id, event.revision)
