"""The routing use case: decide once per submission, announce the decision, remember it."""

import logging
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Protocol

from stadtmelder_routing.domain import route
from stadtmelder_routing.repository import RoutingLog
from stadtmelder_shared import topics
from stadtmelder_shared.events import Event, ReportRouted, ReportSubmitted

log = logging.getLogger(__name__)


class EventPublisher(Protocol):
    async def publish(self, topic: str, event: Event) -> None: ...


class RoutingService:
    def __init__(
        self,
        routing_log: RoutingLog,
        publisher: EventPublisher,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._log = routing_log
        self._publisher = publisher
        self._clock = clock

    async def route_report(self, submitted: ReportSubmitted) -> ReportRouted | None:
        """Route a submission; None when it was routed before (a redelivery)."""
        if await self._log.was_routed(submitted.event_id):
            return None
        routed, work_item = route(submitted)
        # A crash between publishing and remembering republishes the same event ids,
        # which every consumer recognises; remembering first could lose the report.
        await self._publisher.publish(topics.department_work(routed.department.id), work_item)
        await self._publisher.publish(topics.REPORTS_ROUTED, routed)
        await self._log.remember(routed, self._clock())
        return routed
