"""Kafka consumers of the reports service: keep reports current with others' events and apply
the transitions department systems send."""

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from faststream.kafka import KafkaBroker

from stadtmelder_reports.commands.domain import ReportCommandRequested
from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import (
    ReportChangedMeanwhile,
    ReportNotFound,
    ReportsError,
    WriteStillPending,
    WritesUnavailable,
)
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.staff.updates import DepartmentUpdate, department_of
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import CitizenNotified
from stadtmelder_shared.consumers import RetryPolicy
from stadtmelder_shared.dead_letters import Origin, Rejected
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.kafka import owner_consumer, pattern_consumer
from stadtmelder_shared.partition_owner import PartitionOwnership
from stadtmelder_shared.report_events import ReportRouted, ReportUnroutable
from stadtmelder_shared.work_item_events import WorkItemSendFailed

log = logging.getLogger(__name__)
# Others kept writing the report meanwhile, or its owner has not answered a command yet (it
# applies the one sent again once): worth another try, so no acknowledgement.
AGAIN = (ReportChangedMeanwhile, WriteStillPending, WritesUnavailable)
RETRIES = RetryPolicy(retried=AGAIN)
E = TypeVar("E", bound=Event)


@dataclass(frozen=True)
class Applying(Generic[E]):
    """A consumer named `handler` that applies another service's event to its report with
    `step`, and what it logs: `said[0]` when applied, `said[1]` when seen before, `unknown`
    for a report never stored here (logged and acknowledged: no redelivery would make the
    report appear)."""

    topic: str
    model: type[E]
    handler: str
    step: Callable[[E], Awaitable[bool]]
    said: tuple[str, str]
    unknown: str
    level: int = logging.INFO


def owner_group(group_id: str) -> str:
    """The one group of the consumers that write report documents (see `register_handlers`)."""
    return f"{group_id}.report-owner"


def register_handlers(
    broker: KafkaBroker,
    service: ReportService,
    work: WorkService,
    group_id: str,
    ownership: PartitionOwnership | None = None,
    commands: Commands | None = None,
) -> None:
    """Others' events are applied to a report by the one replica that owns its partition: one
    consumer of all their topics in one group (`owner_consumer`), not a group per topic, whose
    owners of partition p would be different replicas writing one report at the same moment
    (FerretDB 1.24 then loses one of the writes)."""
    applying: list[Applying[Any]] = [
        Applying(
            topics.REPORTS_ROUTED,
            ReportRouted,
            "on_report_routed",
            service.record_routing,
            ("report routed", "routed event seen before"),
            "routed event for an unknown report ignored",
        ),
        Applying(
            topics.REPORTS_UNROUTABLE,
            ReportUnroutable,
            "on_report_unroutable",
            service.record_unroutable,
            ("report put into triage", "unroutable seen before"),
            "unroutable event for an unknown report ignored",
        ),
        Applying(
            topics.CITIZENS_NOTIFIED,
            CitizenNotified,
            "on_citizen_notified",
            service.record_notice,
            ("citizen notified", "notice seen before"),
            "notice about an unknown report ignored",
        ),
        Applying(
            topics.WORK_ITEMS_SEND_FAILED,
            WorkItemSendFailed,
            "on_work_item_send_failed",
            work.note_send_failure,
            ("department send failure noted", "seen before"),
            "send failure of an unknown report ignored",
            level=logging.WARNING,
        ),
    ]
    if commands is not None:
        # Writes asked over HTTP on any replica: applied here with the report's events.
        applying.append(
            Applying(
                topics.REPORTS_COMMANDS,
                ReportCommandRequested,
                "on_report_command",
                commands.apply,
                ("command applied", "command applied before"),
                "command for an unknown report ignored",
            )
        )
    by_model = {each.model: consumer_of(each) for each in applying}

    async def on_report_event(event: Event) -> None:
        await by_model[type(event)](event)

    subscribe = owner_consumer(
        broker,
        {each.topic: each.model for each in applying},
        owner_group(group_id),
        ownership or PartitionOwnership(topics.REPORTS_ROUTED),
        policy=RETRIES,
    )
    subscribe(on_report_event)

    @pattern_consumer(
        broker,
        topics.DEPARTMENT_UPDATES_PATTERN,
        f"{group_id}.department-updates",
        policy=RETRIES,
    )
    async def on_department_update(update: DepartmentUpdate, origin: Origin) -> None:
        department_id = department_of(origin.topic)
        if department_id is None:
            return
        try:
            # Applied by the report's owner (a command), not by this group's consumer.
            applied = await work.apply_department_update(
                department_id, update.event_id, update.report_id, update.request()
            )
        except AGAIN:
            raise
        except ReportsError as problem:
            # Can never apply (a transition not allowed, another department's report): parked.
            raise Rejected(str(problem)) from None
        context = {"report_id": update.report_id, "event_id": update.event_id}
        log.info("department update applied" if applied else "update seen before", extra=context)


def consumer_of(applying: Applying[E]) -> Callable[[E], Awaitable[None]]:
    """The consumer of `applying`, under the name the logs and the AsyncAPI document give it."""

    async def apply(event: E) -> None:
        context = {"report_id": event.report_id, "event_id": event.event_id}
        try:
            applied = await applying.step(event)
        except ReportNotFound:
            log.warning(applying.unknown, extra=context)
            return
        said = applying.said[0] if applied else applying.said[1]
        log.log(applying.level, said, extra=context)

    apply.__name__ = apply.__qualname__ = applying.handler
    return apply
