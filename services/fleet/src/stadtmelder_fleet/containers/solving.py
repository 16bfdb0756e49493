"""Emptying plans computed in a short-lived child process of their own, so the route solver
(OR-Tools, about 26 MB) is never loaded into the long-running fleet process, whose memory holds
the road pieces and containers within 150 MB.

The child is `python -m stadtmelder_fleet.containers.solving`: the arguments of `plan_emptying`
come pickled on its stdin, the plan (or the error it raised) goes pickled to its stdout. A
process of our own, not multiprocessing's spawn: that would import whatever script started the
parent again, and a forked copy of a process running threads is unsafe.
"""

import asyncio
import pickle  # between this process and its own child only, never from outside
import sys
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date, datetime
from typing import Any, NamedTuple

from stadtmelder_fleet.containers.domain import Container
from stadtmelder_fleet.containers.forecast import Forecast
from stadtmelder_fleet.containers.planning import Depot, EmptyingPlan, plan_emptying


class PlanArguments(NamedTuple):
    """What `plan_emptying` is given; `solve_by` in POSIX seconds, or None for no deadline."""

    district: str
    day: date
    at: datetime
    containers: list[Container]
    forecasts: dict[str, Forecast]
    depot: Depot
    time_limit_s: float
    solve_by: float | None


Gathering = Coroutine[Any, Any, PlanArguments]
# plan_in_child, or in tests a planner of their own.
Planner = Callable[[Gathering], Awaitable[EmptyingPlan]]


class SolverFailed(RuntimeError):
    """The child process ended without a plan or an error of its own (killed, out of memory)."""


async def plan_in_child(gathering: Gathering) -> EmptyingPlan:
    """`plan_emptying` in a fresh interpreter, started while `gathering` reads what it needs
    (its start costs about a second of a busy machine), which ends with the plan and hands its
    memory back; an error it or `gathering` raises (PlanningError...) is raised here. Cancelled,
    the child is killed."""
    try:
        child = await asyncio.create_subprocess_exec(
            sys.executable, "-m", __name__,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        )  # fmt: skip
    except BaseException:
        gathering.close()
        raise
    try:
        arguments = await gathering
        answer, _ = await child.communicate(pickle.dumps(tuple(arguments)))
    finally:
        if child.returncode is None:
            child.kill()
            await child.wait()
    if child.returncode != 0 or not answer:
        raise SolverFailed(f"the route solver's process ended with {child.returncode}")
    outcome = pickle.loads(answer)  # noqa: S301 - our own child's answer
    if isinstance(outcome, BaseException):
        raise outcome
    plan: EmptyingPlan = outcome
    return plan


def _solve(arguments: bytes) -> bytes:
    """The child's part: the plan, or the exception planning raised, pickled."""
    outcome: Any
    try:
        *given, solve_by = pickle.loads(arguments)  # noqa: S301 - from our parent
        outcome = plan_emptying(*given, solve_by=solve_by)
    except Exception as error:  # handed to the parent, which raises it
        outcome = error
    return pickle.dumps(outcome)


if __name__ == "__main__":
    sys.stdout.buffer.write(_solve(sys.stdin.buffer.read()))
