"""Sends a work item through every method of its department, retrying each with backoff.

Each (work item, method) pair is recorded in the send log: a method that delivered an item
never sends it again, and one that kept failing is recorded, announced as `WorkItemSendFailed`
and tried again later by `retry_failed`. Send failures never raise into the consumer; only a
send log that cannot be written does, so the work item is redelivered rather than lost.
A send that is part of the Kafka transaction of the record being handled (`atomic`) needs no
log: it is committed with the record's offset or not at all, and its failure aborts the
transaction, so the record comes again.
"""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from tenacity import (
    AsyncRetrying,
    retry_if_not_exception_type,
    stop_after_attempt,
    wait_exponential,
)

from stadtmelder_routing.sending.methods import (
    PermanentSendError,
    Sender,
    SendError,
    method_key,
)
from stadtmelder_routing.sending.send_log import (
    Claim,
    ClaimState,
    SendLog,
    SendRecord,
    send_key,
)
from stadtmelder_shared import topics
from stadtmelder_shared.clock import utc_now
from stadtmelder_shared.departments import Department, SendKind, SendMethod
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.work_item_events import WorkItemQueued, WorkItemSendFailed

log = logging.getLogger(__name__)

SendResult = Literal["delivered", "already_delivered", "failed", "in_progress"]
_ERROR_LIMIT = 300


@dataclass(frozen=True)
class RetryPolicy:
    """Attempts per round and the exponential wait between them (first, doubling, capped).

    A round holds its send by a lease of `lease_s`, renewed every third of it while the round
    runs: a worker killed mid-round blocks its send for at most `lease_s`. A redelivered work
    item that finds the send held waits that long, polling every `held_poll_s`, then leaves it
    to `retry_failed`.
    """

    attempts: int = 5
    first_wait_s: float = 0.5
    max_wait_s: float = 30.0
    lease_s: float = 30.0
    held_poll_s: float = 0.5


class DeliveryCheck(Protocol):
    async def delivered_since(self, item: WorkItemQueued, since: datetime) -> bool:
        """Whether `item` arrived by this method at `since` or later; raises if it cannot tell."""
        ...


@dataclass(frozen=True)
class SendOutcome:
    method: str
    result: SendResult
    attempts: int = 0
    error: str | None = None


class Dispatcher:
    def __init__(
        self,
        senders: Mapping[SendKind, Sender],
        send_log: SendLog,
        publisher: EventPublisher,
        *,
        policy: RetryPolicy | None = None,
        retry_concurrency: int = 8,
        clock: Callable[[], datetime] = utc_now,
        checks: Mapping[SendKind, DeliveryCheck] | None = None,
        atomic: Callable[[SendMethod], bool] = lambda _method: False,
    ) -> None:
        self._senders = senders
        # Sends that commit or vanish with the Kafka transaction of the record being handled:
        # a redelivered record means they never happened, so they need no send log.
        self._atomic = atomic
        # For the methods whose receiver can be asked whether an item arrived (Kafka).
        self._checks = checks or {}
        self._log = send_log
        self._publisher = publisher
        self._policy = policy or RetryPolicy()
        self._retry_concurrency = retry_concurrency
        self._clock = clock
        # Sends under way in this process; a second writer to one log document loses updates.
        self._in_flight: set[str] = set()
        # Delivered, but the send log was away when we went to record it: the work item comes
        # again, and must then be recorded, not sent twice. (receipt, attempts, error, when)
        self._unrecorded: dict[str, tuple[str | None, int, str | None, datetime]] = {}

    async def dispatch(self, item: WorkItemQueued, department: Department) -> list[SendOutcome]:
        """Send `item` by each of `department`'s methods at once; one outcome per method."""
        pairs = [(item, method) for method in department.send_methods]
        return await self._send_all(pairs, wait_if_held=True)

    async def retry_failed(
        self, limit: int = 100, owns: Callable[[str], bool] = lambda report_id: True
    ) -> list[SendOutcome]:
        """Another round for failed sends and for those a crash left pending; for a schedule,
        of the reports this replica `owns` (the one writer of their sends' log documents)."""
        unfinished = await self._log.unfinished(self._clock(), limit)
        pairs = [(send.item, send.method) for send in unfinished if owns(send.item.report_id)]
        return await self._send_all(pairs, concurrency=self._retry_concurrency)

    async def failed_sends(self, limit: int = 100) -> list[SendRecord]:
        """Sends that are failed now, most recent first: for operators and dispatchers."""
        return await self._log.failed(limit)

    async def _send_all(
        self,
        pairs: Sequence[tuple[WorkItemQueued, SendMethod]],
        concurrency: int | None = None,
        wait_if_held: bool = False,
    ) -> list[SendOutcome]:
        # Each pair has its own log document, so sending them concurrently is safe.
        limit = asyncio.Semaphore(concurrency or max(len(pairs), 1))

        async def send(item: WorkItemQueued, method: SendMethod) -> SendOutcome:
            async with limit:
                return await self._send(item, method, wait_if_held)

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(send(item, method)) for item, method in pairs]
        return [task.result() for task in tasks]

    async def _send(
        self, item: WorkItemQueued, method: SendMethod, wait_if_held: bool
    ) -> SendOutcome:
        key, name = send_key(item.event_id, method), method_key(method)
        if self._atomic(method):
            await self._sender(method).send(item, method)
            return SendOutcome(name, "delivered", 1)
        context = _context(item, name)
        if key in self._in_flight:
            log.info("send already under way here", extra=context)
            return SendOutcome(name, "in_progress")
        self._in_flight.add(key)
        try:
            if (delivery := self._unrecorded.get(key)) is not None:
                await self._log.mark_delivered(key, *delivery)
                del self._unrecorded[key]
                log.info(
                    "work item delivered while the send log was away; recorded now", extra=context
                )
                return SendOutcome(name, "already_delivered")
            claim = await self._claim(item, method, wait_if_held)
            if claim.state is ClaimState.DELIVERED:
                log.info("work item delivered before; not sent again", extra=context)
                return SendOutcome(name, "already_delivered")
            if claim.state is ClaimState.HELD_ELSEWHERE:
                log.info("send under way in another worker", extra=context)
                return SendOutcome(name, "in_progress")
            return await self._round(key, item, method, claim, context)
        finally:
            self._in_flight.discard(key)

    async def _claim(self, item: WorkItemQueued, method: SendMethod, wait_if_held: bool) -> Claim:
        """The claim; if `wait_if_held`, a lease held elsewhere is waited out, once: a worker
        killed mid-round holds it at most `lease_s`, a live one renews it and finishes."""
        lease = timedelta(seconds=self._policy.lease_s)
        give_up_at = self._clock() + lease
        while True:
            now = self._clock()
            claim = await self._log.claim(item, method, now, now + lease)
            if claim.state is not ClaimState.HELD_ELSEWHERE or not wait_if_held:
                return claim
            if now > give_up_at:
                return claim
            await asyncio.sleep(self._policy.held_poll_s)

    async def _arrived_in_an_earlier_round(
        self, item: WorkItemQueued, method: SendMethod, claim: Claim, context: dict[str, Any]
    ) -> bool:
        """Asks the receiver, where it can be asked, whether a round before this claim delivered
        the item and was cut off before recording it."""
        check = self._checks.get(method.kind)
        if check is None or claim.earlier_round_since is None:
            return False
        try:
            return await check.delivered_since(item, claim.earlier_round_since)
        except Exception as error:
            # The class only: a client library's message may quote what it sent.
            log.warning(
                "could not look whether an earlier round delivered the work item (%s); sending it",
                type(error).__name__,
                extra=context,
            )
            return False

    @contextlib.asynccontextmanager
    async def _lease_kept(self, key: str) -> AsyncIterator[None]:
        """Renews the lease every third of it while the round runs. The renewal is let finish,
        not cancelled, before the round is recorded: FerretDB may lose one of two writes to the
        same document at the same moment."""
        done = asyncio.Event()
        lease_s = self._policy.lease_s

        async def renew() -> None:
            while True:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(done.wait(), lease_s / 3)
                if done.is_set():
                    return
                try:
                    await self._log.extend(key, self._clock() + timedelta(seconds=lease_s))
                except Exception:
                    log.warning("could not renew the lease of a send", exc_info=True)

        renewal = asyncio.create_task(renew(), name=f"lease:{key}")
        try:
            yield
        finally:
            done.set()
            await renewal

    async def _round(
        self,
        key: str,
        item: WorkItemQueued,
        method: SendMethod,
        claim: Claim,
        context: dict[str, Any],
    ) -> SendOutcome:
        name = context["send_method"]
        # Kept in memory and written once at the end: one writer, two writes per round.
        failures: list[str] = []
        receipt: str | None = None
        delivered = False
        async with self._lease_kept(key):
            # Asked while the lease is kept: the search takes a moment, and meanwhile nobody
            # else may take the send over.
            arrived_before = await self._arrived_in_an_earlier_round(item, method, claim, context)
            if not arrived_before:
                delivered, receipt = await self._attempts(item, method, failures, context)
        if arrived_before:
            await self._log.mark_delivered(key, None, 0, None, self._clock())
            log.info(
                "work item delivered by an earlier round that was cut off; recorded, not sent "
                "again",
                extra=context,
            )
            return SendOutcome(name, "already_delivered")
        if not delivered:
            return await self._give_up(key, item, claim, failures, context)
        attempts = len(failures) + 1
        last_error = failures[-1] if failures else None
        delivery = (receipt, attempts, last_error, self._clock())
        try:
            await self._log.mark_delivered(key, *delivery)
        except Exception:
            self._unrecorded[key] = delivery
            raise
        log.info("work item delivered by %s (attempt %d)", name, attempts, extra=context)
        return SendOutcome(name, "delivered", attempts)

    async def _attempts(
        self,
        item: WorkItemQueued,
        method: SendMethod,
        failures: list[str],
        context: dict[str, Any],
    ) -> tuple[bool, str | None]:
        """Tries up to `attempts` times, waiting longer each time; (delivered, receipt). Each
        failure is added to `failures`."""
        policy, name = self._policy, context["send_method"]
        # Each failure is logged and kept in `failures` as it happens.
        with contextlib.suppress(Exception):
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(policy.attempts),
                wait=wait_exponential(multiplier=policy.first_wait_s, max=policy.max_wait_s),
                retry=retry_if_not_exception_type(PermanentSendError),
                reraise=True,
            ):
                with attempt:
                    try:
                        return True, await self._sender(method).send(item, method)
                    except Exception as error:
                        failures.append(describe(error))
                        log.warning(
                            "work item not sent by %s (attempt %d of %d): %s",
                            name,
                            len(failures),
                            policy.attempts,
                            failures[-1],
                            extra=context,
                        )
                        raise
        return False, None

    async def _give_up(
        self,
        key: str,
        item: WorkItemQueued,
        claim: Claim,
        failures: list[str],
        context: dict[str, Any],
    ) -> SendOutcome:
        name, attempts, reason = context["send_method"], len(failures), failures[-1]
        announced = claim.failure_announced or await self._announce_failure(
            item, name, claim.attempts + attempts, reason, context
        )
        await self._log.mark_failed(
            key, reason, attempts, self._clock(), failure_announced=announced
        )
        log.error(
            "work item not delivered by %s after %d attempts: %s; recorded for a later retry",
            name,
            attempts,
            reason,
            extra=context,
        )
        return SendOutcome(name, "failed", attempts, reason)

    async def _announce_failure(
        self, item: WorkItemQueued, name: str, attempts: int, reason: str, context: dict[str, Any]
    ) -> bool:
        failed = WorkItemSendFailed(
            # One announcement per item and method, however often it is redelivered.
            event_id=derived_event_id(item.event_id, f"send-failed:{name}"),
            report_id=item.report_id,
            jurisdiction=item.jurisdiction,
            department=item.department,
            method=name,
            attempts=attempts,
            error=reason,
        )
        try:
            await self._publisher.publish(topics.WORK_ITEMS_SEND_FAILED, failed)
        except Exception:
            # Still recorded as failed and listed by `failed_sends`; the next round announces.
            log.exception("could not announce the failed send", extra=context)
            return False
        return True

    def _sender(self, method: SendMethod) -> Sender:
        sender = self._senders.get(method.kind)
        if sender is None:
            raise PermanentSendError(f"no sender for {method.kind} methods is configured")
        return sender


def describe(error: BaseException) -> str:
    """A failure in words fit for the log: our own messages, else only the exception's class
    (library messages may quote request contents)."""
    text = str(error) if isinstance(error, SendError) else type(error).__name__
    return text[:_ERROR_LIMIT]


def _context(item: WorkItemQueued, name: str) -> dict[str, Any]:
    return {
        "report_id": item.report_id,
        "event_id": item.event_id,
        "department_id": item.department.id,
        "send_method": name,
    }
