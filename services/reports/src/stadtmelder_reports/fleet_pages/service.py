"""The fleet pages' use cases: keep the road conditions and plans fleet announces, and ask fleet
for a district's plan when a dispatcher wants one."""

from collections.abc import Callable
from dataclasses import asdict
from datetime import date, datetime
from uuid import uuid4

from stadtmelder_reports.fleet_pages.domain import (
    FleetUnreachable,
    PlanAnswer,
    PlanRequest,
    PlanShown,
    plan_status,
)
from stadtmelder_reports.fleet_pages.store import PlanStore, RoadConditionStore
from stadtmelder_shared import topics
from stadtmelder_shared.emptying_plans import (
    EmptyingPlan,
    EmptyingPlanMade,
    EmptyingPlanRefused,
    EmptyingPlanRequested,
    plan_key,
)
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.road_conditions import RoadConditionsChanged, RoadPieceCondition


class FleetViews:
    def __init__(
        self,
        roads: RoadConditionStore,
        plans: PlanStore,
        publisher: EventPublisher,
        jurisdiction: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._roads, self._plans, self._publisher = roads, plans, publisher
        self._jurisdiction, self._clock = jurisdiction, clock

    async def take_conditions(self, event: RoadConditionsChanged) -> None:
        await self._roads.put_pieces(event.pieces)

    async def take_answer(self, event: EmptyingPlanMade | EmptyingPlanRefused) -> None:
        about = (event.request_id, event.district, event.day, event.occurred_at)
        if isinstance(event, EmptyingPlanMade):
            answer = PlanAnswer(*about, plan=event.plan)
        else:
            answer = PlanAnswer(*about, code=event.code, reason=event.reason)
        await self._plans.put_answer(answer)

    async def road_pieces(self) -> list[RoadPieceCondition]:
        return await self._roads.pieces(self._clock())

    async def plan(self, district: str, day: date, asked_by: str) -> PlanShown:
        """The latest plan of the district for the day; asked of fleet if nobody did yet."""
        request = await self._plans.latest_request(district, day)
        answer = await self._plans.answer(district, day)
        status = plan_status(request, answer, self._clock())
        if status == "unasked":
            await self.ask(district, day, asked_by)
            status = "computing"
        return PlanShown(status, answer)

    async def kept_plan(self, district: str, day: date) -> EmptyingPlan | None:
        answer = await self._plans.answer(district, day)
        return None if answer is None else answer.plan

    async def ask(self, district: str, day: date, asked_by: str) -> None:
        """A newer plan for the district and day; the current one is shown until it is there.
        Published before it is kept: a request kept but never sent would wait in vain."""
        request = PlanRequest(uuid4().hex, district, day, asked_by, self._clock())
        fields = asdict(request)
        event = EmptyingPlanRequested(
            report_id=plan_key(district),
            jurisdiction=self._jurisdiction,
            occurred_at=fields.pop("requested_at"),
            **fields,
        )
        try:
            await self._publisher.publish(topics.PLAN_REQUESTS, event)
        except Exception as error:
            # Whatever the Kafka client raised, the request did not leave: the page says so.
            raise FleetUnreachable(f"the plan request could not be sent: {error!r}") from error
        await self._plans.add_request(request)
