"""Use cases of the containers: record a fill reading, forecast, plan a district's emptying."""

import asyncio
from collections.abc import Callable, Sequence
from datetime import date, datetime, time
from time import time as time_now
from zoneinfo import ZoneInfo

from stadtmelder_fleet.containers.domain import (
    CITIZEN_REPORT_SNAP_M,
    CITIZEN_REPORTED_FILL,
    Container,
    FillReading,
    UnknownContainer,
    UnknownDistrict,
)
from stadtmelder_fleet.containers.forecast import Forecast, forecast
from stadtmelder_fleet.containers.planning import Depot, EmptyingPlan
from stadtmelder_fleet.containers.solving import PlanArguments, Planner, plan_in_child
from stadtmelder_fleet.containers.store import ContainerStore
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.geo import distance_m

Clock = Callable[[], datetime]
# A plan is answered within 10 s (issue 17): the searches get what is left of this once the
# containers, their forecasts and the solver's process are there, however busy the machine.
PLAN_BUDGET_S = 8.0


class ContainerService:
    def __init__(
        self,
        store: ContainerStore,
        depot: Depot,
        solver_seconds: float,
        timezone: str = "Europe/Berlin",
        planner: Planner = plan_in_child,
    ) -> None:
        self._store = store
        self._depot = depot
        self._solver_seconds = solver_seconds
        self._zone = ZoneInfo(timezone)
        self._planner = planner
        self._known: dict[str, Container] = {}
        # One plan at a time: each keeps a core busy for seconds, more would starve the consumers.
        self._planning = asyncio.Semaphore(1)

    @property
    def depot(self) -> Depot:
        return self._depot

    async def load(self) -> None:
        self._known = {c.id: c for c in await self._store.containers()}

    async def import_containers(self, containers: Sequence[Container]) -> None:
        await self._store.save_containers(containers)
        self._known.update((c.id, c) for c in containers)

    async def container(self, container_id: str) -> Container:
        """The container, imported since start or before; UnknownContainer if never."""
        found = self._known.get(container_id) or await self._store.container(container_id)
        if found is None:
            raise UnknownContainer(f"container {container_id!r} was never imported")
        self._known[container_id] = found
        return found

    async def record_reading(self, reading: FillReading) -> None:
        await self.container(reading.container_id)
        await self._store.add_reading(reading)

    async def record_citizen_report(
        self, asset_id: str | None, location: Location | None, at: datetime
    ) -> Container | None:
        """A citizen's "container full" as a reading of the container it names or lies beside;
        None (nothing recorded) when it is about no known container."""
        found = self._about(asset_id, location)
        if found is None:
            await self.load()  # imported since: such reports are rare, a reread is cheap
            found = self._about(asset_id, location)
        if found is not None:
            await self._store.add_reading(
                FillReading(found.id, at, CITIZEN_REPORTED_FILL, "citizen")
            )
        return found

    def _about(self, asset_id: str | None, location: Location | None) -> Container | None:
        named = self._known.get(asset_id) if asset_id else None
        if named is not None or location is None:
            return named
        return nearest(list(self._known.values()), location, CITIZEN_REPORT_SNAP_M)

    async def forecasts(self, containers: Sequence[Container]) -> dict[str, Forecast]:
        kept = await self._store.readings([c.id for c in containers])
        made = {cid: forecast(cid, readings) for cid, readings in kept.items()}
        return {cid: f for cid, f in made.items() if f is not None}

    async def in_district(self, district: str) -> list[Container]:
        await self.load()  # containers imported since the start count too
        containers = sorted((c for c in self._known.values() if c.district == district), key=_id)
        if not containers:
            raise UnknownDistrict(f"no containers are known in the district {district!r}")
        return containers

    async def plan(self, district: str, day: date) -> EmptyingPlan:
        # The searches share what is left of PLAN_BUDGET_S once the solver's process runs.
        solve_by = time_now() + PLAN_BUDGET_S
        # The solver runs for seconds: apart from the event loop, so health checks and consumers
        # go on, and in a process of its own, so its memory is handed back (solving.py).
        async with self._planning:
            return await self._planner(self._plan_arguments(district, day, solve_by))

    async def _plan_arguments(self, district: str, day: date, solve_by: float) -> PlanArguments:
        containers = await self.in_district(district)
        forecasts = await self.forecasts(containers)
        # Due is judged at the day's end: a container filling to 80 % by the evening is emptied.
        at = datetime.combine(day, time(23, 59), self._zone)
        limit = self._solver_seconds
        return PlanArguments(district, day, at, containers, forecasts, self._depot, limit, solve_by)


def _id(container: Container) -> str:
    return container.id


def nearest(containers: Sequence[Container], place: Location, within_m: float) -> Container | None:
    measured = [(distance_m(place, c.location), c.id, c) for c in containers]
    close = [m for m in measured if m[0] <= within_m]
    return min(close)[2] if close else None
