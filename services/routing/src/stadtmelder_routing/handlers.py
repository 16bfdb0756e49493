"""Kafka consumers of the routing service."""

import logging
from collections.abc import Awaitable, Callable
from typing import Any, NamedTuple

from faststream.kafka import KafkaBroker

from stadtmelder_routing.exactly_once import RecordTransactions, TransactionFailed
from stadtmelder_routing.service import RoutingService
from stadtmelder_shared import topics
from stadtmelder_shared.consumers import RetryPolicy
from stadtmelder_shared.dead_letters import Origin
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.kafka import consumer, group_for, owner_consumer
from stadtmelder_shared.partition_owner import PartitionOwnership
from stadtmelder_shared.report_events import ReportRouted, ReportStatusChanged, ReportSubmitted
from stadtmelder_shared.works import WorksChanged

log = logging.getLogger(__name__)
# A routing decision waits on several MongoDB and Kafka round trips; one consumer per partition
# (three by default) decides for three reports at once instead of queueing them behind each other.
# Each is a consumer of both topics (FastStream's own workers read one topic only).
SUBMISSION_WORKERS = 3


class Applying(NamedTuple):
    """A consumer named `handler` of `topic` in the group that writes work items, handling its
    events with `handle` (the event contract's test reads such rows)."""

    topic: str
    model: type[Event]
    handler: str
    handle: Callable[[Any, Origin], Awaitable[None]]


def register_handlers(
    broker: KafkaBroker,
    service: RoutingService,
    group_id: str,
    transactions: RecordTransactions | None = None,
    ownership: PartitionOwnership | None = None,
    workers: int = SUBMISSION_WORKERS,
) -> None:
    """With `transactions`, each submission is routed in a Kafka transaction of its own; with
    `ownership`, it hears which partitions of reports.submitted this replica consumes (and of
    reports.status-changed: the same)."""

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

    async def on_submitted(event: ReportSubmitted, origin: Origin) -> None:
        if transactions is None:
            await route(event, origin)
        elif not await transactions.run(origin, lambda: route(event, origin)):
            log.info(
                "submission routed before; redelivery ignored", extra={"offset": origin.offset}
            )

    async def on_status_changed(event: ReportStatusChanged, origin: Origin) -> None:
        # Outside the submissions' transactions (their producers are the partitions' of
        # reports.submitted), committed by the consumer; applied once (`follow_status`).
        if not await service.follow_status(event):
            context = {"report_id": event.report_id, "event_id": event.event_id}
            log.info("status change applied before or without a work item", extra=context)

    applying = (
        Applying(topics.REPORTS_SUBMITTED, ReportSubmitted, "on_report_submitted", on_submitted),
        Applying(
            topics.REPORTS_STATUS_CHANGED,
            ReportStatusChanged,
            "on_report_status_changed",
            on_status_changed,
        ),
    )
    by_model = {each.model: each.handle for each in applying}

    async def on_report(event: Event, origin: Origin) -> None:
        await by_model[type(event)](event, origin)

    # One group for both topics with the range assignor: the replica given partition p of
    # reports.submitted is given p of reports.status-changed too, so it alone writes the work
    # items of p's reports (docs/scale-out.md). The group keeps the submissions' name, under
    # which their transactions commit their offsets.
    subscribe = owner_consumer(
        broker,
        {each.topic: each.model for each in applying},
        group_for(group_id, topics.REPORTS_SUBMITTED),
        ownership or PartitionOwnership(topics.REPORTS_SUBMITTED),
        policy=RetryPolicy(retried=(TransactionFailed,)),
    )
    for _ in range(workers):
        subscribe(on_report)

    @consumer(broker, topics.WORKS_CHANGED, group_id)
    async def on_works_changed(event: WorksChanged) -> None:
        if await service.works.take(event):
            log.info("works %s kept at revision %d", event.works_id, event.revision)
