"""Playgrounds: an imported register of places, the reports within 50 m of each, its state and
everyone's ratings. The composition root gives the report intake a `locator(...)`, adds
`ROUTE_HANDLERS`, and calls `register(...)` in its lifespan; the web router adds the pages."""

from typing import Any

from litestar.datastructures import State
from litestar.types import ControllerRouterHandler
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.playgrounds.api import PlaygroundsController
from stadtmelder_reports.playgrounds.service import (
    PlaygroundLocator,
    PlaygroundService,
    PublicReports,
)
from stadtmelder_reports.playgrounds.store import MongoPlaygroundStore

ROUTE_HANDLERS: tuple[ControllerRouterHandler, ...] = (PlaygroundsController,)


def locator(database: AsyncDatabase[dict[str, Any]]) -> PlaygroundLocator:
    """What the report intake asks which playground a new report belongs to."""
    return PlaygroundLocator(MongoPlaygroundStore(database))


def register(
    state: State, found_by: PlaygroundLocator, reports: PublicReports, jurisdiction: str
) -> None:
    """`state.playgrounds` for the routes, reading reports as the public sees them; ratings
    count against the app's `state.limiter` of citizens' submissions."""
    state.playgrounds = PlaygroundService(found_by, reports, jurisdiction, state.limiter)
