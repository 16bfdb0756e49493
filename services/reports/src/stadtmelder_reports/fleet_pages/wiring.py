"""Wires the fleet pages into the reports service: their stores, their use cases in the app
state (`fleet_views`) and the consumers of what fleet announces."""

import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any

from faststream.kafka import KafkaBroker
from litestar.datastructures import State
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.fleet_pages.service import FleetViews
from stadtmelder_reports.fleet_pages.store import MongoPlanStore, MongoRoadConditionStore
from stadtmelder_shared import topics
from stadtmelder_shared.emptying_plans import EmptyingPlanMade, EmptyingPlanRefused
from stadtmelder_shared.kafka import EventPublisher, consumer
from stadtmelder_shared.road_conditions import RoadConditionsChanged

log = logging.getLogger(__name__)


def register(
    state: State,
    broker: KafkaBroker,
    database: AsyncDatabase[dict[str, Any]],
    publisher: EventPublisher,
    jurisdiction: str,
    group_id: str,
    clock: Callable[[], datetime],
) -> FleetViews:
    views = FleetViews(
        MongoRoadConditionStore(database), MongoPlanStore(database), publisher, jurisdiction, clock
    )
    state.fleet_views = views
    register_consumers(broker, views, group_id)
    return views


def register_consumers(broker: KafkaBroker, views: FleetViews, group_id: str) -> None:
    @consumer(broker, topics.ROAD_CONDITIONS, group_id)
    async def on_road_conditions(event: RoadConditionsChanged) -> None:
        await views.take_conditions(event)

    @consumer(broker, topics.EMPTYING_PLANS, group_id)
    async def on_emptying_plan(event: EmptyingPlanMade | EmptyingPlanRefused) -> None:
        await views.take_answer(event)
        log.info("emptying plan kept: %s", event.type, extra={"event_id": event.event_id})
