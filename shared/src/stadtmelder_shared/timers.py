"""Work a service repeats on a timer while it runs: a kept task each, cancelled at shutdown."""

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)

Step = Callable[[], Awaitable[object]]


class Leadership(Protocol):
    """Whether this replica may run a job now (see `leadership.KafkaLeadership`)."""

    job: str

    async def leads(self) -> bool: ...

    async def stop(self) -> None: ...


@dataclass(frozen=True)
class _Timer:
    name: str
    interval_s: float
    step: Step
    once: Leadership | None


class Timers:
    """Steps repeated every few seconds, started once the consumers run and stopped before the
    broker stops. A failed round is logged and the next one tries again: every step here keeps
    its work in a store (MongoDB, Kafka), so a server that is away loses nothing."""

    def __init__(self) -> None:
        self._timers: list[_Timer] = []
        self._tasks: set[asyncio.Task[None]] = set()

    def every(
        self, interval_s: float, name: str, step: Step, *, once: Leadership | None = None
    ) -> None:
        """Run `step` every `interval_s` seconds from `start` on; `name` names its task and log.

        With `once`, only the replica that leads runs it (a job that must run once across
        replicas); the others skip their rounds until they lead."""
        self._timers.append(_Timer(name, interval_s, step, once))

    async def start(self) -> None:
        if self._tasks:
            return
        for timer in self._timers:
            self._tasks.add(asyncio.create_task(_repeat(timer), name=timer.name))

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, set()
        for task in tasks:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for timer in self._timers:
            if timer.once is not None:
                await timer.once.stop()


async def _repeat(timer: _Timer) -> None:
    while True:
        try:
            if timer.once is None or await timer.once.leads():
                await timer.step()
        except Exception:
            log.exception("%s failed; trying again in %.0f s", timer.name, timer.interval_s)
        await asyncio.sleep(timer.interval_s)
