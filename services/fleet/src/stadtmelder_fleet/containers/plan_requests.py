"""Emptying plans on request: a dispatcher's request from reports in, the district's plan for
the day, or why there is none, out on `fleet.emptying-plans`."""

import logging

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
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.kafka import EventPublisher, consumer

log = logging.getLogger(__name__)
# What an answer repeats of its request: the same key, so a district's events stay in order.
ANSWER_REPEATS = {"report_id", "jurisdiction", "request_id", "district", "day"}


async def answer_to(
    request: EmptyingPlanRequested, service: ContainerService
) -> EmptyingPlanMade | EmptyingPlanRefused:
    """The plan asked for, or the refusal with fleet's reason; a redelivered request gets an
    answer of the same id, which reports stores once."""
    about = request.model_dump(include=ANSWER_REPEATS)
    about |= {"event_id": derived_event_id(request.event_id, "plan"), "caused_by": request.event_id}
    try:
        plan = await service.plan(request.district, request.day)
    except PlanningError as error:
        code = "unknown_district" if isinstance(error, UnknownDistrict) else "cannot_plan"
        return EmptyingPlanRefused(code=code, reason=str(error), **about)
    return EmptyingPlanMade(plan=published_plan(plan, service.depot.location), **about)


def register_plan_requests(
    broker: KafkaBroker, group_id: str, service: ContainerService, publisher: EventPublisher
) -> None:
    @consumer(broker, topics.PLAN_REQUESTS, group_id)
    async def on_plan_requested(request: EmptyingPlanRequested) -> None:
        answer = await answer_to(request, service)
        await publisher.publish(topics.EMPTYING_PLANS, answer)
        log.info("emptying plan answered: %s", answer.type, extra={"event_id": answer.event_id})
