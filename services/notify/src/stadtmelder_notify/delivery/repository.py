"""The delivery log: which message went to whom, so none is sent twice, and which wait for a
free slot.

FerretDB 1.24 loses one of two updates of the same document at the same moment: a delivery's
document is written only by whoever holds its lease; a recipient's send times are written one at
a time per process (KeyedLocks).

The work per event must not grow with the stored mails: FerretDB 1.24 pushes only a filter of
`_id` alone down to SQLite and decodes the whole collection for any other filter, so the lookups
of each event (a recipient's recent mails) read one document by `_id` alone, which the local
FerretDB finds through an index (see deploy/local/ferretdb).
"""

import enum
import json
from dataclasses import asdict
from datetime import datetime, timedelta
from typing import Any, Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from stadtmelder_notify.delivery.domain import Mail, PendingMail, PushMessage, WebhookCall
from stadtmelder_notify.delivery.send_times import MongoSendTimes
from stadtmelder_notify.delivery.sent_journal import SentJournal
from stadtmelder_notify.delivery.sent_marks import SentMarks
from stadtmelder_shared.citizen_events import CitizenNotified
from stadtmelder_shared.event_types import EVENT_TYPES
from stadtmelder_shared.keyed_locks import KeyedLocks

Document = dict[str, Any]


class Claim(enum.Enum):
    CLAIMED = "claimed"
    ALREADY_SENT = "already_sent"
    HELD_ELSEWHERE = "held_elsewhere"
    # Waiting for the recipient's rate limit; the deferred sender owns it now.
    DEFERRED = "deferred"
    # Failed too often and dead-lettered.
    ABANDONED = "abandoned"


class DeliveryLog(Protocol):
    async def claim(self, key: str, now: datetime, lease_until: datetime) -> Claim:
        """Take the right to send message `key` until `lease_until`, unless it was sent."""
        ...

    def note_accepted(self, key: str, at: datetime, recipient: str | None = None) -> None:
        """The server accepted `key` just now: remember it at once, before `mark_sent` gets to
        the database. Synchronous and safe from any thread; the sender calls it."""
        ...

    async def mark_sent(self, key: str, at: datetime, recipient: str | None = None) -> None:
        """`recipient` (an address key) counts the mail against that person's rate limit."""
        ...

    async def mark_failed(self, key: str, reason: str, at: datetime) -> int:
        """Give the lease up after a failed send; returns how often sending `key` has failed."""
        ...

    async def mark_abandoned(self, key: str, reason: str, at: datetime) -> None: ...

    async def sent_since(self, recipient: str, since: datetime) -> list[datetime]:
        """When mails to `recipient` (an address key) were sent since `since`; kept for a day
        at least, longer than the rate limit's window."""
        ...

    async def defer(self, pending: PendingMail, not_before: datetime) -> None:
        """Keep a claimed message for the deferred sender, to go at `not_before` or later."""
        ...

    async def due_deferred(self, now: datetime, limit: int) -> list[str]: ...

    async def take_deferred(
        self, key: str, now: datetime, lease_until: datetime
    ) -> PendingMail | None:
        """Lease a due deferred message; None if it is not due or someone else took it."""
        ...

    async def ping(self) -> None: ...


class MongoDeliveryLog:
    """Deliveries by key; besides, one document per recipient (`_id` = their key) with the send
    times of the last `keep_sent`, which the rate limit reads instead of all deliveries, and the
    keys of the deferred messages in a collection of their own, for the deferred sender's poll.

    Upgrading from a version without `deferred` needs the copy in `stadtmelder_notify.upgrade`.
    """

    def __init__(
        self,
        database: AsyncDatabase[Document],
        keep_sent: timedelta = timedelta(days=1),
        journal: SentJournal | None = None,
    ) -> None:
        self._deliveries = database["deliveries"]
        # Remembers each acceptance on local disk until the database has it (see sent_journal).
        self._journal = journal
        # A recipient's send times, read once and written behind: a report's two mails to its
        # reporter read them once and write them with others' (see send_times).
        self._send_times = MongoSendTimes(database, keep_sent)
        # The keys of the deferred messages and when they may go, apart from all deliveries.
        self._waiting = database["deferred"]
        self._claiming = KeyedLocks()
        # "Sent" is written behind, many deliveries in one command (see sent_marks).
        self._marks = SentMarks(self._deliveries, journal)

    async def ensure_indexes(self) -> None:
        await self._waiting.create_index("not_before")

    async def ping(self) -> None:
        await self._deliveries.database.command("ping")

    async def claim(self, key: str, now: datetime, lease_until: datetime) -> Claim:
        journal = self._journal
        if journal is not None and (sent := journal.unsettled(key)) is not None:
            # Sent by us and not yet in the database (it was away, or `mark_sent` is still on its
            # way): its event came again. Record, don't resend; recording twice is harmless.
            await self.record_sent(key, *sent)
            return Claim.ALREADY_SENT
        if self._marks.waiting(key):
            return Claim.ALREADY_SENT  # sent here; "sent" goes to the database at the next flush
        try:
            await self._deliveries.insert_one(
                {
                    "_id": key,
                    "status": "sending",
                    "lease_until": lease_until,
                    "attempts": 1,
                    "failures": 0,
                    "first_attempt_at": now,
                }
            )
        except DuplicateKeyError:
            pass
        else:
            return Claim.CLAIMED
        # Read, then written, by `_id` alone: a condition on other fields makes FerretDB decode
        # every delivery, and this runs for each message of a redelivered event. FerretDB did not
        # isolate the conditional update either; a report's events have one consumer at a time.
        async with self._claiming(key):
            current = await self._deliveries.find_one(
                {"_id": key}, projection={"status": 1, "lease_until": 1}
            )
            status = current["status"] if current is not None else None
            lease_over = current is not None and current["lease_until"] <= now
            if status == "sending" and lease_over and await self._replayed_orphans():
                # Another replica was killed while sending: its journal may name this message.
                current = await self._deliveries.find_one({"_id": key}, projection={"status": 1})
                status = current["status"] if current is not None else None
            if status in ("sending", "failed") and lease_over:
                await self._deliveries.update_one(
                    {"_id": key},
                    {
                        "$set": {"status": "sending", "lease_until": lease_until},
                        "$inc": {"attempts": 1},
                    },
                )
                return Claim.CLAIMED
        return {
            "sent": Claim.ALREADY_SENT,
            "deferred": Claim.DEFERRED,
            "abandoned": Claim.ABANDONED,
        }.get(status or "", Claim.HELD_ELSEWHERE)

    def note_accepted(self, key: str, at: datetime, recipient: str | None = None) -> None:
        if self._journal is not None:
            self._journal.record(key, at, recipient)

    async def mark_sent(self, key: str, at: datetime, recipient: str | None = None) -> None:
        # Before any await, in case the sender did not note it: a second note changes nothing.
        self.note_accepted(key, at, recipient)
        # Written with others at the next `flush`; the journal keeps it until then.
        await self._marks.mark(key, at)
        if recipient is not None:
            await self._send_times.record(recipient, key, at)

    async def _replayed_orphans(self) -> int:
        """Replay the journal files no live process holds (those of killed replicas beside us
        on this machine, docs/scale-out.md); how many messages they named."""
        if self._journal is None:
            return 0
        return await self._journal.replay(self.record_sent, own_too=False)

    async def record_sent(self, key: str, at: datetime, recipient: str | None = None) -> None:
        """In the database at once; replaying the journal calls this."""
        await self._marks.write_now(key, at)
        if recipient is not None:
            await self._send_times.record(recipient, key, at)

    async def flush(self) -> None:
        """Write what was sent and the send times since the last flush."""
        await self._marks.flush()
        await self._send_times.flush()

    async def flush_send_times(self) -> None:
        await self._send_times.flush()

    async def forget_send_times(self, recipient: str) -> None:
        """The address was erased: its hash leaves memory at once, and the database's copy
        can be deleted after this returns without a flush bringing it back."""
        await self._send_times.forget(recipient)

    async def mark_failed(self, key: str, reason: str, at: datetime) -> int:
        # Releasing the lease lets the redelivered event try again at once.
        await self._deliveries.update_one(
            {"_id": key},
            {
                "$set": {"status": "failed", "last_error": reason, "lease_until": at},
                "$inc": {"failures": 1},
            },
        )
        current = await self._deliveries.find_one({"_id": key}, projection={"failures": 1})
        return int(current["failures"]) if current is not None else 1

    async def mark_abandoned(self, key: str, reason: str, at: datetime) -> None:
        await self._deliveries.update_one(
            {"_id": key},
            {
                "$set": {"status": "abandoned", "last_error": reason, "abandoned_at": at},
                "$unset": {"pending": ""},
            },
        )

    async def sent_since(self, recipient: str, since: datetime) -> list[datetime]:
        return [at for at in (await self._send_times.of(recipient)).values() if at >= since]

    async def defer(self, pending: PendingMail, not_before: datetime) -> None:
        await self._deliveries.update_one(
            {"_id": pending.key},
            {
                "$set": {
                    "status": "deferred",
                    "lease_until": not_before,
                    # As JSON text: events may hold arrays and keys FerretDB 1.x refuses.
                    "pending": _pending_json(pending),
                }
            },
        )
        await self._waiting.update_one(
            {"_id": pending.key}, {"$set": {"not_before": not_before}}, upsert=True
        )

    async def due_deferred(self, now: datetime, limit: int) -> list[str]:
        # Asks the few waiting messages, not all deliveries: this runs every few seconds.
        cursor = (
            self._waiting.find({"not_before": {"$lte": now}}, projection={"_id": 1})
            .sort("not_before", ASCENDING)
            .limit(limit)
        )
        return [str(document["_id"]) async for document in cursor]

    async def take_deferred(
        self, key: str, now: datetime, lease_until: datetime
    ) -> PendingMail | None:
        taken = await self._deliveries.update_one(
            {"_id": key, "status": "deferred", "lease_until": {"$lte": now}},
            {"$set": {"status": "sending", "lease_until": lease_until}, "$inc": {"attempts": 1}},
        )
        if taken.matched_count != 1:
            await self._forget_waiting_unless_deferred(key)
            return None
        await self._waiting.delete_one({"_id": key})
        document = await self._deliveries.find_one({"_id": key}, projection={"pending": 1})
        if document is None or not document.get("pending"):
            return None
        return _pending_from(str(document["pending"]))

    async def _forget_waiting_unless_deferred(self, key: str) -> None:
        """A message sent or given up meanwhile (its event came again) waits no longer."""
        current = await self._deliveries.find_one({"_id": key}, projection={"status": 1})
        if current is None or current["status"] != "deferred":
            await self._waiting.delete_one({"_id": key})


def _pending_json(pending: PendingMail) -> str:
    return json.dumps(
        {
            "key": pending.key,
            "channel": pending.channel,
            "mail": asdict(pending.mail),
            "language": pending.language,
            "recipient": pending.recipient,
            "follower": pending.follower,
            "topic": pending.topic,
            "cause_type": pending.cause.type,
            "cause": pending.cause.model_dump(mode="json"),
            "notified": pending.notified.model_dump(mode="json"),
        }
    )


def _pending_from(text: str) -> PendingMail:
    data = json.loads(text)
    channel = data.get("channel", "email")
    kind = {"email": Mail, "webhook": WebhookCall, "web_push": PushMessage}[channel]
    return PendingMail(
        key=data["key"],
        mail=kind(**data["mail"]),
        language=data["language"],
        recipient=data["recipient"],
        follower=data["follower"],
        topic=data["topic"],
        cause=EVENT_TYPES[data["cause_type"]].model_validate(data["cause"]),
        notified=CitizenNotified.model_validate(data["notified"]),
        channel=channel,
    )
