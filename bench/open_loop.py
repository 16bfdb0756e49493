"""Open-loop load: requests start on a fixed schedule, however long earlier ones take.

A closed loop (send, wait, send) slows down with the system and so never sees the queue it
builds; here each request's latency counts from the moment it was *scheduled*, so a stall of the
system or of the generator itself shows up in the figures (no coordinated omission).
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")
Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class Shot(Generic[T]):
    """One request: its number, when it was due and started, and how long it took from due."""

    number: int
    due: float
    started: float
    latency: float
    result: T


def request_count(rate: float, seconds: float) -> int:
    return round(rate * seconds) if rate > 0 and seconds > 0 else 0


def schedule(rate: float, seconds: float) -> list[float]:
    """Offsets from the start at which the requests of a constant-rate step are due."""
    return [number / rate for number in range(request_count(rate, seconds))]


async def run_open_loop(
    send: Callable[[int], Awaitable[T]],
    rate: float,
    seconds: float,
    *,
    clock: Clock = time.monotonic,
    sleep: Sleep = asyncio.sleep,
    stop: asyncio.Event | None = None,
) -> list[Shot[T]]:
    """Launch `send(number)` at `rate` per second for `seconds` (or until `stop` is set);
    return every shot once all have ended."""
    began = clock()
    running: list[asyncio.Task[Shot[T]]] = []
    for number in range(request_count(rate, seconds)):
        if stop is not None and stop.is_set():
            break
        due = began + number / rate
        delay = due - clock()
        if delay > 0:
            await sleep(delay)
        running.append(asyncio.create_task(_timed(send, number, due, clock)))
    return list(await asyncio.gather(*running))


async def _timed(
    send: Callable[[int], Awaitable[T]], number: int, due: float, clock: Clock
) -> Shot[T]:
    started = clock()
    result = await send(number)
    return Shot(number, due, started, clock() - due, result)


async def run_closed_loop(
    send: Callable[[int], Awaitable[bool]], workers: int, seconds: float
) -> tuple[int, float]:
    """The ceiling: `workers` clients sending back to back; returns (successes, elapsed s).

    Only for throughput: a closed loop hides latency, which the open loop measures.
    """
    began = time.monotonic()
    deadline = began + seconds
    counter = iter(range(10**9))
    successes = 0

    async def worker() -> None:
        nonlocal successes
        while time.monotonic() < deadline:
            if await send(next(counter)):
                successes += 1

    await asyncio.gather(*(worker() for _ in range(workers)))
    return successes, time.monotonic() - began
