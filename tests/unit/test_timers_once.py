"""A job that must run once across replicas runs only in the replica that leads, and its
leadership is given up at shutdown so another replica leads at once."""

import pytest

from stadtmelder_shared.timers import Timers
from tests.system import wait_until


class Gate:
    """A leadership that leads only while told to, and remembers asking and stopping."""

    job = "test-job"

    def __init__(self, leading: bool) -> None:
        self.leading = leading
        self.asked = 0
        self.stopped = False

    async def leads(self) -> bool:
        self.asked += 1
        return self.leading

    async def stop(self) -> None:
        self.stopped = True


@pytest.mark.parametrize("leading", [True, False])
async def test_a_once_job_runs_only_while_its_replica_leads(leading: bool) -> None:
    rounds: list[int] = []
    gate = Gate(leading)

    async def step() -> None:
        rounds.append(1)

    timers = Timers()
    timers.every(0.01, "once-job", step, once=gate)
    await timers.start()

    async def asked_three_times() -> bool:
        return gate.asked >= 3

    await wait_until(asked_three_times, timeout=10, interval=0.01, what="three rounds")
    await timers.stop()

    assert bool(rounds) is leading
    assert gate.stopped


async def test_a_follower_takes_over_when_it_comes_to_lead() -> None:
    rounds: list[int] = []
    gate = Gate(leading=False)

    async def step() -> None:
        rounds.append(1)

    timers = Timers()
    timers.every(0.01, "once-job", step, once=gate)
    await timers.start()
    try:
        await wait_until(lambda: _asked(gate), timeout=10, interval=0.01, what="a round")
        assert rounds == []
        gate.leading = True  # the leader stopped; the group gave this replica partition 0

        async def ran() -> bool:
            return bool(rounds)

        await wait_until(ran, timeout=10, interval=0.01, what="the job to run here")
    finally:
        await timers.stop()


async def _asked(gate: Gate) -> bool:
    return gate.asked > 0
