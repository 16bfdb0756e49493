"""Statistics: per category, district, department and month, how many reports, how many
resolved, how fast acknowledged and resolved, how often reopened after "not fixed"; kept from
the lifecycle events, shown as a page with charts and as JSON.

The composition root adds `ROUTE_HANDLERS` to the app and calls `register(...)` in its lifespan."""

from typing import Any

from faststream.kafka import KafkaBroker
from litestar.datastructures import State
from litestar.types import ControllerRouterHandler
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.statistics.api import StatisticsController
from stadtmelder_reports.statistics.handlers import register_consumers
from stadtmelder_reports.statistics.pages import StatisticsPage
from stadtmelder_reports.statistics.service import StatisticsService
from stadtmelder_reports.statistics.store import MongoFactsStore, MongoSubmissionTimes
from stadtmelder_shared.timers import Timers

ROUTE_HANDLERS: tuple[ControllerRouterHandler, ...] = (StatisticsController, StatisticsPage)
# The timer looks this often whether the read model is due to be built (see keep_fresh).
CHECK_SECONDS = 5.0


def register(
    state: State,
    broker: KafkaBroker,
    database: AsyncDatabase[dict[str, Any]],
    timers: Timers,
    group_id: str,
    rebuild_seconds: float,
) -> StatisticsService:
    """`state.statistics` for the routes, consumers in groups `<group_id>.statistics.<topic>`,
    and the read model built on the timers."""
    service = StatisticsService(
        MongoFactsStore(database),
        rebuild_seconds=rebuild_seconds,
        submissions=MongoSubmissionTimes(database),
    )
    register_consumers(broker, service, f"{group_id}.statistics")
    timers.every(CHECK_SECONDS, "statistics", service.keep_fresh)
    state.statistics = service
    return service
