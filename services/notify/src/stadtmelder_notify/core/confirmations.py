"""The order of a report's first two messages: "we received your report" before "we forwarded
it". Submission and routing arrive on different topics, and routing takes milliseconds, so the
routed message waits, a bounded time, until the submission was told.

The reports this process told lately are remembered here, so their routed message needs no look
in the database to know it; told is marked in the database for another replica's routed
message, unless that message already waits here.
"""

import asyncio
import contextlib

from stadtmelder_notify.core.store import ChannelStore, FollowerStore
from stadtmelder_shared.event_values import Reporter

# How often a routed message waiting for its confirmation looks again in the database.
LOOK_S = 0.5
# Reports whose confirmation this process remembers having told.
REMEMBERED = 10_000


class Confirmations:
    def __init__(
        self, followers: FollowerStore, channels: ChannelStore | None, wait_s: float
    ) -> None:
        self._followers = followers
        self._channels = channels
        self._wait_s = wait_s
        # Routed messages waiting for their report's confirmation in this process, by report.
        self._waiters: dict[str, asyncio.Event] = {}
        # Reports whose submission this process told lately, oldest first.
        self._told_here: dict[str, None] = {}

    async def mark(self, report_id: str, reporter: Reporter | None) -> None:
        """The submission was told (sent, kept back or unwanted): later steps may follow."""
        self._told_here[report_id] = None
        while len(self._told_here) > REMEMBERED:
            del self._told_here[next(iter(self._told_here))]
        if (waiter := self._waiters.get(report_id)) is not None:
            # The routed message waits here (its partition is ours), and goes now: no other
            # replica needs the mark. Should this process die before it went, its redelivery
            # elsewhere waits at most `wait_s` for the mark, and still follows this confirmation.
            waiter.set()
            return
        if reporter is not None and reporter.email:
            await self._followers.mark_confirmed(report_id, reporter.email)
        elif self._channels is not None:
            await self._channels.mark_submission_told(report_id)

    async def wait(
        self, report_id: str, reporter: Reporter | None, just_looked: bool = False
    ) -> bool:
        """Wait until the submission was told, at most `wait_s`; True if it had to wait.

        `just_looked`: the caller's read showed it untold a moment ago, so the first look is in
        this process's memory only.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._wait_s
        waited = False
        try:
            while not await self._told(report_id, reporter, ask_database=not just_looked):
                waited, just_looked = True, False
                remaining = deadline - loop.time()
                if remaining <= 0:
                    return True
                # Woken at once when this process confirms; another replica's confirmation is
                # seen at the next look, at most half a second later.
                waiter = self._waiters.setdefault(report_id, asyncio.Event())
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(waiter.wait(), min(remaining, LOOK_S))
        finally:
            self._waiters.pop(report_id, None)
        return waited

    async def _told(self, report_id: str, reporter: Reporter | None, ask_database: bool) -> bool:
        if report_id in self._told_here:
            return True
        if not ask_database:
            return False
        if reporter is not None and reporter.email:
            # Marked after the whole submission was told, the app's message included.
            return await self._followers.is_confirmed(report_id, reporter.email)
        # Without a reporter's address, an app still hears "received" before "forwarded".
        return self._channels is None or await self._channels.is_submission_told(report_id)
