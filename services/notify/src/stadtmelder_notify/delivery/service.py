"""Delivering one message to one person exactly once, within their rate limit.

Each message is claimed in the delivery log before it is sent, so a redelivered event, a
restart in the middle of sending or a second replica never sends it twice. A recipient over
their hourly limit gets the message later: it waits in the delivery log for `send_deferred`,
and the event is acknowledged (raising would make Kafka redeliver it at once, and hold up
everyone behind it on the partition). A message that keeps failing is tried again with the
redelivered event, pausing longer each time, and after `max_failures` goes to `<topic>.dlq`
with the reason; nothing is dropped silently. Messages to an app or a browser that keep failing
are retried from the delivery log instead, so one app's outage does not stall everyone's mail.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from stadtmelder_notify.delivery.domain import (
    Addressee,
    Channel,
    DeliveryFailed,
    DeliveryPolicy,
    Failed,
    PendingMail,
    RecipientGone,
    Sent,
    delivery_key,
    failure_reason,
    next_free_slot,
)
from stadtmelder_notify.delivery.repository import Claim, DeliveryLog
from stadtmelder_notify.delivery.senders import Sender
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import CitizenNotified
from stadtmelder_shared.clock import utc_now
from stadtmelder_shared.event_envelope import Event, derived_event_id
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.keyed_locks import KeyedLocks

log = logging.getLogger(__name__)
StillWanted = Callable[[PendingMail], Awaitable[bool]]
Forget = Callable[[PendingMail], Awaitable[None]]
_NOUN: dict[Channel, str] = {
    "email": "mail",
    "webhook": "webhook message",
    "web_push": "push message",
}


async def _nobody_to_forget(pending: PendingMail) -> None:
    return None


class DeadLetters(Protocol):
    async def put(self, topic: str, event: Event, reason: str) -> None:
        """Park `event`, which came from `topic`, in `<topic>.dlq` with the reason."""
        ...


@dataclass(frozen=True)
class Delivery:
    """Sends messages of events to people on their channels, each once, within their limit."""

    deliveries: DeliveryLog
    sender: Sender
    publisher: EventPublisher
    dead_letters: DeadLetters
    policy: DeliveryPolicy
    clock: Callable[[], datetime] = utc_now
    wait_seconds: float = 0.5
    forget: Forget = _nobody_to_forget
    # Rate limits are checked and used under one lock per recipient in this process.
    _sending: KeyedLocks = field(default_factory=KeyedLocks, init=False, repr=False)

    # --- the common path ----------------------------------------------------------------------

    async def tell(
        self,
        event: Event,
        topic: str,
        step: str,
        addressees: Sequence[Addressee],
        citizens: bool = True,
    ) -> list[CitizenNotified]:
        """Tell each addressee once on their channel; raise if some failed and should be retried.

        Messages to citizens count against their rate limit and are announced as
        CitizenNotified (for the report's history); staff mails are neither.
        """
        told: list[CitizenNotified] = []
        failures: list[Failed] = []
        for addressee in addressees:
            key = delivery_key(event.event_id, addressee.address, addressee.channel)
            async with self._sending(addressee.limit_key):
                claim = await self._claim(key)
                if claim is not Claim.CLAIMED:
                    if claim is Claim.ALREADY_SENT and citizens:
                        # Sent before a crash cut off its announcement: announce it again so
                        # the history has the step; the derived event id makes repeats harmless.
                        notified = self._notified(event, step, key, addressee.channel)
                        await self.publisher.publish(topics.CITIZENS_NOTIFIED, notified)
                    continue
                pending = self._pending(event, topic, step, key, addressee)
                if citizens and await self._deferred_by_limit(pending):
                    continue
                result = await self._send(pending, announce=citizens)
            if result == "sent":
                told.append(pending.notified)
            elif isinstance(result, Failed) and self._keeps_failing(pending, result):
                await self._retry_later(pending, result)
            elif isinstance(result, Failed):
                failures.append(result)
        if failures:
            worst = max(failed.failures for failed in failures)
            await asyncio.sleep(self.policy.pause.after(worst))
            reasons = ", ".join(sorted({failed.reason for failed in failures}))
            raise DeliveryFailed(f"{len(failures)} of the messages could not be sent: {reasons}")
        return told

    # --- messages kept back by the rate limit -------------------------------------------------

    async def send_deferred(self, still_wanted: StillWanted, limit: int = 100) -> int:
        """Send the deferred messages whose time has come and are `still_wanted`.

        Returns how many went out.
        """
        sent = 0
        now = self.clock()
        for key in await self.deliveries.due_deferred(now, limit):
            pending = await self.deliveries.take_deferred(key, now, now + self.policy.lease)
            if pending is None:
                continue  # another replica took it
            async with self._sending(pending.recipient):
                if not await still_wanted(pending):
                    await self.deliveries.mark_abandoned(key, "opted out", self.clock())
                    continue
                if await self._deferred_by_limit(pending):
                    continue
                result = await self._send(pending)
            if result == "sent":
                sent += 1
            if isinstance(result, Failed):
                await self._retry_later(pending, result)
        return sent

    # --- one message ---------------------------------------------------------------------------

    def _notified(self, event: Event, step: str, key: str, channel: Channel) -> CitizenNotified:
        return CitizenNotified(
            event_id=derived_event_id(event.event_id, f"notified:{key}"),
            report_id=event.report_id,
            jurisdiction=event.jurisdiction,
            channel=channel,
            notification=step,
            caused_by=event.event_id,
        )

    def _pending(
        self, event: Event, topic: str, step: str, key: str, addressee: Addressee
    ) -> PendingMail:
        notified = self._notified(event, step, key, addressee.channel)
        return PendingMail(
            key=key,
            mail=addressee.compose(notified.event_id),
            language=addressee.language,
            recipient=addressee.limit_key,
            follower=addressee.follower,
            topic=topic,
            cause=event,
            notified=notified,
            channel=addressee.channel,
        )

    async def _send(self, pending: PendingMail, announce: bool = True) -> Sent:
        def accepted() -> None:
            self.deliveries.note_accepted(pending.key, self.clock(), pending.recipient)

        try:
            await self.sender.send(pending.mail, pending.language, accepted)
        except RecipientGone:
            # Not a failure: the browser unsubscribed. Nobody is left to tell.
            await self.deliveries.mark_abandoned(pending.key, "recipient gone", self.clock())
            await self.forget(pending)
            log.info(
                "a %s recipient is gone and was forgotten",
                pending.channel,
                extra=_context(pending.cause),
            )
            return "abandoned"
        except Exception as error:
            return await self._failed(pending, error)
        await self.deliveries.mark_sent(pending.key, self.clock(), recipient=pending.recipient)
        if announce:
            await self.publisher.publish(topics.CITIZENS_NOTIFIED, pending.notified)
        return "sent"

    async def _failed(self, pending: PendingMail, error: Exception) -> Sent:
        reason = failure_reason(error)
        context = _context(pending.cause)
        failures = await self.deliveries.mark_failed(pending.key, reason, self.clock())
        if failures < self.policy.max_failures:
            log.warning(
                "a %s failed (%s, failure %d)",
                _NOUN[pending.channel],
                reason,
                failures,
                extra=context,
            )
            return Failed(reason, failures)
        # Dead-lettered before it is marked, so a crash in between repeats rather than loses it.
        await self.dead_letters.put(
            pending.topic, pending.cause, f"{reason}; gave up after {failures} failed sends"
        )
        await self.deliveries.mark_abandoned(pending.key, reason, self.clock())
        log.error(
            "gave up a %s after %d failed sends (%s); its event is in the dead-letter topic",
            _NOUN[pending.channel],
            failures,
            reason,
            extra=context,
        )
        return "abandoned"

    def _keeps_failing(self, pending: PendingMail, failed: Failed) -> bool:
        """An app's webhook or a push service that failed `inline_failures` times in a row
        is probably down for a while: its message waits in the delivery log from now on, so
        it does not hold up everyone's messages behind it on the partition."""
        return pending.channel != "email" and failed.failures >= self.policy.inline_failures

    async def _retry_later(self, pending: PendingMail, failed: Failed) -> None:
        pause = self.policy.deferred_pause.after(failed.failures)
        await self.deliveries.defer(pending, self.clock() + timedelta(seconds=pause))

    async def _deferred_by_limit(self, pending: PendingMail) -> bool:
        """Keep the message back if its recipient had their share of mail for now."""
        now = self.clock()
        policy = self.policy
        sent = await self.deliveries.sent_since(pending.recipient, now - policy.window)
        slot = next_free_slot(sent, now, policy.mails_per_window, policy.window)
        if slot is None:
            return False
        await self.deliveries.defer(pending, slot)
        log.info(
            "a %s waits for the recipient's rate limit until %s",
            _NOUN[pending.channel],
            slot.isoformat(),
            extra=_context(pending.cause),
        )
        return True

    async def _claim(self, key: str) -> Claim:
        """CLAIMED once we may send; otherwise why not. Waits out another sender's lease."""
        while True:
            now = self.clock()
            claim = await self.deliveries.claim(key, now, now + self.policy.lease)
            if claim is not Claim.HELD_ELSEWHERE:
                return claim
            await asyncio.sleep(self.wait_seconds)


def _context(event: Event) -> dict[str, str]:
    return {"report_id": event.report_id, "event_id": event.event_id}
