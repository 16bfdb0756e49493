"""The shared timers: a failed round does not end a timer, and shutdown ends every one."""

import asyncio

import pytest

from stadtmelder_shared.timers import Timers
from tests.system import wait_until


async def test_a_timer_tries_again_after_a_failed_round_and_ends_at_shutdown(
    caplog: pytest.LogCaptureFixture,
) -> None:
    rounds: list[int] = []

    async def step() -> None:
        rounds.append(len(rounds))
        if len(rounds) == 1:
            raise ConnectionError("MongoDB is away")

    timers = Timers()
    timers.every(0.01, "test-timer", step)
    await timers.start()

    async def three_rounds() -> bool:
        return len(rounds) >= 3

    await wait_until(three_rounds, timeout=10, interval=0.01, what="three rounds")
    await timers.stop()
    after_stop = len(rounds)
    await asyncio.sleep(0.05)  # long enough for five more rounds, had the timer survived

    assert len(rounds) == after_stop
    assert "test-timer failed; trying again" in caplog.text
