"""Per-client limits on submissions, so one app or address cannot flood a department's queue."""

import math
import time

from limits import RateLimitItemPerMinute
from limits.aio.storage import MemoryStorage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from stadtmelder_reports.errors import TooManySubmissions


class SubmissionLimiter:
    """Counts in this process; with several replicas each enforces its share of every limit,
    `replicas` being how many share it (a shared counter would need an atomic store, which
    FerretDB 1.24 is not). A client whose requests reach every replica alike gets its whole
    limit; one kept on one replica by its connection gets that replica's share."""

    def __init__(self, anonymous_per_minute: int, replicas: int = 1) -> None:
        # Two counters per client, weighted by how far the minute has gone. A moving window
        # keeps every submission of the last minute and, on each one, expires the list of
        # every client in a thread of its own: a thread hop per client per request.
        self._limiter = SlidingWindowCounterRateLimiter(MemoryStorage())
        self._anonymous_per_minute = anonymous_per_minute
        self._replicas = replicas

    def _share(self, per_minute: int | None) -> RateLimitItemPerMinute:
        limit = per_minute or self._anonymous_per_minute
        return RateLimitItemPerMinute(max(1, math.ceil(limit / self._replicas)))

    async def check(self, client: str, per_minute: int | None = None) -> None:
        """Count one submission of `client`; raise TooManySubmissions once over its limit."""
        item = self._share(per_minute)
        if not await self._limiter.hit(item, "submissions", client):
            raise await self._too_many(item, client)

    async def refuse_if_exhausted(self, client: str, per_minute: int | None = None) -> None:
        """Raise TooManySubmissions if `client` has no submission left, without counting one:
        asked before a request's body is read, so an exhausted client costs no parsing."""
        item = self._share(per_minute)
        if not await self._limiter.test(item, "submissions", client):
            raise await self._too_many(item, client)

    async def _too_many(self, item: RateLimitItemPerMinute, client: str) -> TooManySubmissions:
        stats = await self._limiter.get_window_stats(item, "submissions", client)
        return TooManySubmissions(max(1, math.ceil(stats.reset_time - time.time())))
