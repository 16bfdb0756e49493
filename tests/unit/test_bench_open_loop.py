"""The open-loop scheduler of `make bench`: starts on schedule, latency from the due time."""

import asyncio

import pytest

from bench.open_loop import run_open_loop, schedule


def test_a_step_is_scheduled_at_a_constant_rate() -> None:
    due = schedule(25, 2)

    assert len(due) == 50
    assert due[:3] == pytest.approx([0.0, 0.04, 0.08])
    assert schedule(0, 10) == []


async def test_requests_start_on_schedule_while_earlier_ones_are_still_running() -> None:
    total = 20
    started: list[int] = []
    release = asyncio.Event()

    async def send(number: int) -> int:
        started.append(number)
        if len(started) == total:
            release.set()
        # No request ends before the last one has started; a closed loop would wait forever.
        await release.wait()
        return number

    shots = await asyncio.wait_for(run_open_loop(send, rate=200, seconds=0.1), timeout=5)

    assert [shot.result for shot in shots] == list(range(total))


class StallingClock:
    """A clock whose first sleep oversleeps by `stall`, as a busy generator or a GC pause does."""

    def __init__(self, stall: float) -> None:
        self.now = 0.0
        self.stall = stall

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)  # lets the launched requests run at the current time
        self.now += seconds + self.stall
        self.stall = 0.0


async def test_a_stall_of_the_generator_counts_in_the_latency_of_every_request_it_delayed() -> None:
    clock = StallingClock(stall=0.05)

    async def send(number: int) -> int:
        return number  # the system itself answers at once

    shots = await run_open_loop(send, rate=100, seconds=0.1, clock=clock, sleep=clock.sleep)

    expected = [0.0, 0.05, 0.04, 0.03, 0.02, 0.01, 0.0, 0.0, 0.0, 0.0]
    assert [shot.latency for shot in shots] == pytest.approx(expected, abs=1e-9)


async def test_the_load_ends_when_told_to_stop_before_its_time_is_up() -> None:
    stop = asyncio.Event()

    async def send(number: int) -> int:
        if number == 4:
            stop.set()
        return number

    shots = await asyncio.wait_for(
        run_open_loop(send, rate=1000, seconds=3600, stop=stop), timeout=5
    )

    assert 5 <= len(shots) < 3_600_000
