"""Emptying plans on request: a dispatcher's request from reports in, the district's plan for
the day, or why there is none, out on `fleet.emptying-plans`."""

import logging
from typing import Any, Protocol

from faststream.kafka import KafkaBroker

from stadtmelder_fleet.containers.domain import PlanningError, UnknownDistrict
from stadtmelder_fleet.containers.exports import published_plan
from stadtmelder_fleet.containers.service import ContainerService
from stadtmelder_shared import topics
from stadtmelder_shared.emptying_plans import (
    EmptyingPlanMade,
    EmptyingPlanRefused,
    EmptyingPlanRequested,
)
from stadtmelder_shared.events import Event, derived_event_id
from stadtmelder_shared.kafka import consumer

log = logging.getLogger(__name__)


class EventPublisher(Protocol):
    async def publish(self, topic: str, event: Event) -> None: ...


async def answer_to(
    request: EmptyingPlanRequested, service: ContainerService
) -> EmptyingPlanMade | EmptyingPlanRefused:
    """The plan asked for, or the refusal with fleet's reason; a redelivered request gets an
    answer of the same id, which reports stores once."""
    about: dict[str, Any] = {
        "event_id": derived_event_id(request.event_id, "emptying-plan"),
        "report_id": request.report_id,
        "jurisdiction": request.jurisdiction,
        "request_id": request.request_id,
        "caused_by": request.event_id,
    }
    try:
        plan = await service.plan(request.district, request.day)
    except PlanningError as error:
        code = "unknown_district" if isinstance(error, UnknownDistrict) else "cannot_plan"
        return EmptyingPlanRefused(
            district=request.district, day=request.day, code=code, reason=str(error), **about
        )
    return EmptyingPlanMade(plan=published_plan(plan, service.depot.location), **about)


def register_plan_requests(
    broker: KafkaBroker, group_id: str, service: ContainerService, publisher: EventPublisher
) -> None:
    @consumer(broker, topics.PLAN_REQUESTS, group_id)
    async def on_plan_requested(request: EmptyingPlanRequested) -> None:
        answer = await answer_to(request, service)
        await publisher.publish(topics.EMPTYING_PLANS, answer)
        log.info("emptying plan answered: %s", answer.type, extra={"event_id": answer.event_id})
