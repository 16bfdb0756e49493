"""When the road pieces are flushed: every interval, but while the fleet catches up on a
backlog, at most a fifth of the time.

Catching up, a flush writes nearly every piece in memory (FerretDB: about 1 ms each) and
announces each, while the readings since are worked off in memory: a later flush writes each
piece once for more readings. Once the batches are small again, the next tick flushes, so the
offsets committed after it lag by one interval as before.
"""

import logging
import time
from collections.abc import Awaitable, Callable

from stadtmelder_fleet.batches import MAX_RECORDS

log = logging.getLogger(__name__)
# A batch this large means the consumer reads a backlog: live, a hundred trucks send about
# 100 readings a second, a few per batch.
BACKLOG_BATCH = MAX_RECORDS // 4
# Even catching up, offsets are committed at least every this many intervals.
MOST_INTERVALS = 6


class FlushPace:
    def __init__(
        self, interval_s: float, share: float = 0.2, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval_s, self._share, self._clock = interval_s, share, clock
        self._due, self._largest_batch = 0.0, 0

    def batch(self, size: int) -> None:
        """A batch of `size` readings was consumed."""
        self._largest_batch = max(self._largest_batch, size)

    async def __call__(self, flush: Callable[[], Awaitable[None]]) -> None:
        began = self._clock()
        catching_up, self._largest_batch = self._largest_batch >= BACKLOG_BATCH, 0
        if catching_up and began < self._due:
            return
        await flush()
        took = self._clock() - began
        log.info("road pieces flushed in %.1f s%s", took, " (catching up)" if catching_up else "")
        spent = min(took / self._share, MOST_INTERVALS * self._interval_s)
        # Less half an interval: a timer tick a moment early must not wait a whole interval.
        self._due = began + max(self._interval_s, spent) - self._interval_s / 2
