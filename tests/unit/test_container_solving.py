"""The route solver runs in a child process: the plan comes back as computed in process, its
errors are raised in the fleet process, and neither OR-Tools nor shapely (with numpy) are ever
loaded into the long-running fleet process, whose memory must stay under 150 MB."""

import json
import subprocess
import sys
import textwrap
import time
from typing import Any

import pytest

from stadtmelder_fleet.containers.domain import PlanningError, UnknownDistrict
from stadtmelder_fleet.containers.planning import Depot, plan_emptying
from stadtmelder_fleet.containers.routes import MIN_SEARCH_S, search_limit
from stadtmelder_fleet.containers.solving import PlanArguments, plan_in_child
from tests.unit.test_container_planning import DAY, DEPOT, END_OF_DAY, containers, filled


async def given(*arguments: Any) -> PlanArguments:
    """What the service gathers before the child plans: here at once."""
    return PlanArguments(*arguments, *([None] if len(arguments) == 7 else []))


async def test_the_childs_plan_is_the_plan_computed_in_process() -> None:
    district = containers(12)
    forecasts = {c.id: filled(c, 90.0 if n % 2 else 10.0) for n, c in enumerate(district)}
    depot = Depot(DEPOT, 12_000)

    made = await plan_in_child(given("Mitte", DAY, END_OF_DAY, district, forecasts, depot, 0.2))

    here = plan_emptying("Mitte", DAY, END_OF_DAY, district, forecasts, depot, 0.2)
    assert [d.container.id for d in made.due] == [d.container.id for d in here.due]
    assert len(made.due) == 6
    assert sorted(s.container.id for r in made.routes for s in r.stops) == sorted(
        d.container.id for d in here.due
    )
    assert made.fixed_round_m > made.distance_m > 0


async def test_a_plan_the_child_cannot_make_raises_its_reason_in_the_fleet_process() -> None:
    too_big = containers(2, capacity_l=30_000)

    with pytest.raises(PlanningError, match="more than a truck holds"):
        await plan_in_child(given("Mitte", DAY, END_OF_DAY, too_big, {}, Depot(DEPOT, 20_000), 0.2))


def test_the_fleet_process_never_loads_the_solver_or_shapely_even_after_a_plan() -> None:
    script = textwrap.dedent(
        """
        import asyncio, json, sys
        import stadtmelder_fleet.app
        from stadtmelder_fleet.containers.planning import Depot
        from stadtmelder_fleet.containers.solving import plan_in_child
        from tests.unit.test_container_planning import DAY, DEPOT, END_OF_DAY, containers
        from tests.unit.test_container_solving import given

        depot = Depot(DEPOT, 20_000)
        plan = asyncio.run(
            plan_in_child(given("Mitte", DAY, END_OF_DAY, containers(5), {}, depot, 0.2))
        )
        loaded = sorted({m.split(".")[0] for m in sys.modules} & {"ortools", "shapely", "numpy"})
        print(json.dumps({"stops": len(plan.due), "loaded": loaded}))
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(done.stdout.splitlines()[-1]) == {"stops": 5, "loaded": []}


def test_the_searches_share_the_time_left_until_the_plan_is_due() -> None:
    assert search_limit(3.0, None, searches=2) == 3.0
    first = search_limit(3.0, time.time() + 3.0, searches=2)  # 2 s left after finishing, for two
    assert 0.9 < first <= 1.0
    assert search_limit(0.3, time.time() + 3.0, searches=1) == 0.3  # the limit still holds
    late = search_limit(3.0, time.time() - 1.0, searches=1)
    assert late == MIN_SEARCH_S  # past the time: hardly more than the first rounds


async def test_what_the_gathering_raises_is_raised_and_the_child_ends() -> None:
    async def unknown() -> PlanArguments:
        raise UnknownDistrict("no containers are known in the district 'Nirgendwo'")

    with pytest.raises(UnknownDistrict, match="Nirgendwo"):
        await plan_in_child(unknown())
