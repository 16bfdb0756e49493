"""Kafka consumers of the reports service: keep reports current with others' events and apply
the transitions department systems send."""

import logging
from collections.abc import Awaitable

from faststream.kafka import KafkaBroker

from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import ReportChangedMeanwhile, ReportNotFound, ReportsError
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.staff.updates import DepartmentUpdate, department_of
from stadtmelder_shared import topics
from stadtmelder_shared.dead_letters import Origin, Rejected
from stadtmelder_shared.events import (
    CitizenNotified,
    Event,
    ReportRouted,
    ReportUnroutable,
    WorkItemSendFailed,
)
from stadtmelder_shared.kafka import consumer, pattern_consumer

log = logging.getLogger(__name__)
# Others kept writing the report meanwhile: worth another try, so no acknowledgement.
RETRIED = (ReportChangedMeanwhile,)


def register_handlers(
    broker: KafkaBroker, service: ReportService, work: WorkService, group_id: str
) -> None:
    @consumer(broker, topics.REPORTS_ROUTED, group_id, retried=RETRIED)
    async def on_report_routed(event: ReportRouted) -> None:
        await _apply(
            service.record_routing(event),
            event,
            ("report routed", "routed event seen before"),
            "routed event for an unknown report ignored",
        )

    @consumer(broker, topics.REPORTS_UNROUTABLE, group_id, retried=RETRIED)
    async def on_report_unroutable(event: ReportUnroutable) -> None:
        await _apply(
            service.record_unroutable(event),
            event,
            ("report put into triage", "unroutable seen before"),
            "unroutable event for an unknown report ignored",
        )

    @consumer(broker, topics.CITIZENS_NOTIFIED, group_id, retried=RETRIED)
    async def on_citizen_notified(event: CitizenNotified) -> None:
        await _apply(
            service.record_notice(event),
            event,
            ("citizen notified", "notice seen before"),
            "notice about an unknown report ignored",
        )

    @consumer(broker, topics.WORK_ITEMS_SEND_FAILED, group_id, retried=RETRIED)
    async def on_work_item_send_failed(event: WorkItemSendFailed) -> None:
        await _apply(
            work.note_send_failure(event),
            event,
            ("department send failure noted", "seen before"),
            "send failure of an unknown report ignored",
            level=logging.WARNING,
        )

    @pattern_consumer(
        broker,
        topics.DEPARTMENT_UPDATES_PATTERN,
        f"{group_id}.department-updates",
        retried=RETRIED,
    )
    async def on_department_update(update: DepartmentUpdate, origin: Origin) -> None:
        department_id = department_of(origin.topic)
        if department_id is None:
            return
        try:
            applied = await work.apply_department_update(
                department_id, update.event_id, update.report_id, update.request()
            )
        except ReportChangedMeanwhile:
            raise
        except ReportsError as problem:
            # Can never apply (a transition not allowed, another department's report): parked.
            raise Rejected(str(problem)) from None
        context = {"report_id": update.report_id, "event_id": update.event_id}
        log.info("department update applied" if applied else "update seen before", extra=context)


async def _apply(
    applying: Awaitable[bool],
    event: Event,
    said: tuple[str, str],
    unknown: str,
    level: int = logging.INFO,
) -> None:
    """Await a step that applies another service's event to its report and log what it did,
    `said[0]` when applied and `said[1]` when seen before. An event about a report never stored
    here is logged and acknowledged: no redelivery would make the report appear."""
    context = {"report_id": event.report_id, "event_id": event.event_id}
    try:
        applied = await applying
    except ReportNotFound:
        log.warning(unknown, extra=context)
        return
    log.log(level, said[0] if applied else said[1], extra=context)
