"""Send a write of an existing report to the replica that owns the report's partition and wait
for its result; and, in that owner, apply each command once and say what became of it.

FerretDB 1.24 loses one of two updates of a document written at once, so each report has one
writer: the replica that consumes its partition (Kafka keys everything by report id). A write
asked over HTTP on any replica travels there as a command (`reports.commands`, read in one
consumer with `reports.routed`, so both topics' partitions of a report go to the same replica),
and every replica reads the results (`reports.command-results`) to answer its waiting requests.
"""

import asyncio
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable

from stadtmelder_reports import errors
from stadtmelder_reports.commands.domain import Refusal, ReportCommandDone, ReportCommandRequested
from stadtmelder_reports.commands.refusals import error_of, refusal_of
from stadtmelder_shared import topics
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.kafka import EventPublisher

log = logging.getLogger(__name__)
Applier = Callable[[ReportCommandRequested], Awaitable[bool]]
# How long a request waits for its command's result before answering 202.
WAIT_SECONDS = 8.0
# Results of the commands applied last, answered again when one is delivered again.
REMEMBERED = 4096


class Commands:
    """Both ends of the commands topic within one replica."""

    def __init__(self, publisher: EventPublisher, wait_seconds: float = WAIT_SECONDS) -> None:
        self._publisher = publisher
        self._wait_seconds = wait_seconds
        self._appliers: dict[str, Applier] = {}
        self._waiting: dict[str, asyncio.Future[ReportCommandDone]] = {}
        self._done: OrderedDict[str, Refusal | None] = OrderedDict()
        # Whether this replica hears results yet (see `wiring.listen`).
        self.listening = False

    def applies(self, kind: str, applier: Applier) -> None:
        """`applier` applies commands whose action is of `kind`; False if applied before."""
        self._appliers[kind] = applier

    # --- the replica that was asked --------------------------------------------------------

    async def run(self, command: ReportCommandRequested) -> bool:
        """Have the report's owner apply `command`; raises what it refused with, or
        `errors.WriteStillPending` when no result came in time (it will still be applied, once)."""
        future = self.expect(command.event_id)
        try:
            try:
                await self._publisher.publish(topics.REPORTS_COMMANDS, command)
            except Exception as error:
                log.warning("a command could not be sent: %s", type(error).__name__)
                raise errors.WritesUnavailable() from None
            try:
                done = await asyncio.wait_for(asyncio.shield(future), self._wait_seconds)
            except TimeoutError:
                raise errors.WriteStillPending(command.report_id) from None
        finally:
            self.forget(command.event_id)
        if done.refusal is not None:
            raise error_of(done.refusal, command.report_id)
        return done.applied

    def expect(self, command_id: str) -> "asyncio.Future[ReportCommandDone]":
        future: asyncio.Future[ReportCommandDone] = asyncio.get_running_loop().create_future()
        self._waiting[command_id] = future
        return future

    def forget(self, command_id: str) -> None:
        self._waiting.pop(command_id, None)

    def resolve(self, done: ReportCommandDone) -> None:
        """A result arrived: the request waiting for it (if in this replica) gets its answer."""
        future = self._waiting.get(done.command_id)
        if future is not None and not future.done():
            future.set_result(done)

    @property
    def waiting(self) -> int:
        return len(self._waiting)

    # --- the report's owner ----------------------------------------------------------------

    async def apply(self, command: ReportCommandRequested) -> bool:
        """Apply `command` once and publish its result; False if it was applied before (the
        result is published again: the asker may still wait for it)."""
        applied = False
        if command.event_id in self._done:
            refusal = self._done[command.event_id]
        else:
            applier = self._appliers[command.action.kind]
            try:
                applied = await applier(command)
                refusal = None
            except errors.ReportChangedMeanwhile:
                raise  # delivered again, and decided anew on what is stored then
            except errors.ReportsError as error:
                refusal = refusal_of(error)
            self._remember(command.event_id, refusal)
        done = ReportCommandDone(
            event_id=derived_event_id(command.event_id, "done"),
            report_id=command.report_id,
            jurisdiction=command.jurisdiction,
            command_id=command.event_id,
            refusal=refusal,
            applied=applied,
        )
        await self._publisher.publish(topics.REPORTS_COMMAND_RESULTS, done)
        return applied

    def _remember(self, command_id: str, refusal: Refusal | None) -> None:
        self._done[command_id] = refusal
        while len(self._done) > REMEMBERED:
            self._done.popitem(last=False)
