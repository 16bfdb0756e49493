"""Erasure on request in notify: a person's address for a report is forgotten, with their
browsers and the mails still waiting for them, so nothing is sent to them about it again; an
alert subscriber's subscription is cancelled with its address and its queued digest."""

import json
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_notify.core.store import ChannelStore
from stadtmelder_notify.delivery.domain import address_key
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import ContactDataErased
from stadtmelder_shared.kafka import consumer

log = logging.getLogger(__name__)
Document = dict[str, Any]


class ForgettableKeys(Protocol):
    def forget_all(self) -> None:
        """Drop every data key held in memory; the next use asks the key store."""
        ...


class ErasableFollowers(Protocol):
    async def erase(self, report_id: str, recipient: str) -> str | None:
        """Forget the follower with key `recipient`; the address it was, if known."""
        ...


class WaitingMails(Protocol):
    async def forget(self, recipient: str) -> int:
        """Give up the mails waiting for the follower with key `recipient`; returns how many."""
        ...

    async def forget_send_times(self, address: str) -> None:
        """Drop the address's recent send times, kept for its rate limit under its hash."""
        ...


class RememberedSendTimes(Protocol):
    async def forget_send_times(self, recipient: str) -> None:
        """Drop the send times of address key `recipient` held in memory or about to be
        written; afterwards no write of them is under way."""
        ...


class ErasableSubscriptions(Protocol):
    async def cancel(self, subscription_id: str, at: datetime) -> None:
        """Stop the alert and forget its address and link token."""
        ...


class ForgettableDigests(Protocol):
    async def forget(self, subscription_id: str) -> None: ...


class MongoWaitingMails:
    """The deferred mails in the delivery log: each holds its address until it goes out.

    Read through the small `deferred` collection of waiting keys, by `_id` (FerretDB 1.24 scans
    the whole delivery log for any other filter); an erasure is rare, the waiting few.
    """

    def __init__(
        self, database: AsyncDatabase[Document], remembered: RememberedSendTimes | None = None
    ) -> None:
        self._deliveries = database["deliveries"]
        self._waiting = database["deferred"]
        self._send_times = database["send_times"]
        # The delivery log's memory of send times, which must not outlive the erasure either.
        self._remembered = remembered

    async def forget(self, recipient: str) -> int:
        forgotten = 0
        async for entry in self._waiting.find({}, projection={"_id": 1}):
            delivery = await self._deliveries.find_one({"_id": entry["_id"]})
            pending = json.loads(str((delivery or {}).get("pending") or "{}"))
            if pending.get("follower") != recipient:
                continue
            # The fact that a mail was due stays; whom it was for and what it said do not.
            await self._deliveries.update_one(
                {"_id": entry["_id"]},
                {
                    "$set": {"status": "abandoned", "last_error": "contact data erased"},
                    "$unset": {"pending": "", "recipient": ""},
                },
            )
            await self._waiting.delete_one({"_id": entry["_id"]})
            forgotten += 1
        return forgotten

    async def forget_send_times(self, address: str) -> None:
        # The rate limit only looks back an hour; losing it for one person harms no one, while
        # a hash anyone can recompute from the address would outlive the erasure. Memory first:
        # what waits to be written there must not bring it back after the delete.
        if self._remembered is not None:
            await self._remembered.forget_send_times(address_key(address))
        await self._send_times.delete_one({"_id": address_key(address)})


@dataclass(frozen=True)
class NotifyErasure:
    followers: ErasableFollowers
    channels: ChannelStore
    waiting: WaitingMails
    subscriptions: ErasableSubscriptions
    digests: ForgettableDigests
    keys: ForgettableKeys | None = None

    async def erase(self, event: ContactDataErased) -> None:
        """Idempotent: a redelivered erasure finds nothing more to forget."""
        if self.keys is not None:
            # First: the erased key, destroyed before this event, is never opened again here.
            self.keys.forget_all()
        if event.subject == "alert_subscriber":
            # `report_id` names the subscription: its alerts stop, its address goes, and no
            # digest is left queued for it. Alert mails are sent at once, none waits.
            await self.subscriptions.cancel(event.report_id, event.occurred_at)
            await self.digests.forget(event.report_id)
            return
        if event.recipient_key is not None:
            address = await self.followers.erase(event.report_id, event.recipient_key)
            await self.waiting.forget(event.recipient_key)
            if address is not None:
                await self.waiting.forget_send_times(address)
        if event.subject == "reporter":
            # Only the reporter's browser could subscribe (with the tracking token).
            for subscriber in await self.channels.subscribers(event.report_id):
                await self.channels.unsubscribe(event.report_id, subscriber.subscription.endpoint)


def register_erasure(broker: KafkaBroker, erasure: NotifyErasure, group_id: str) -> None:
    @consumer(broker, topics.CONTACT_DATA_ERASED, group_id)
    async def on_contact_data_erased(event: ContactDataErased) -> None:
        await erasure.erase(event)
        context = {"report_id": event.report_id, "event_id": event.event_id}
        log.info("contact data of a %s erased", event.subject, extra=context)
