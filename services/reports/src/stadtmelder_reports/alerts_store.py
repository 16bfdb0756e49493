"""Area alert subscriptions in MongoDB, with their outbox inside, and the relay that empties it."""

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.alerts import (
    AlertArea,
    AlertLinkInvalid,
    AlertStatus,
    AlertStore,
    Subscription,
)
from stadtmelder_reports.outbox import EventPublisher
from stadtmelder_shared import topics
from stadtmelder_shared.conditional_writes import ConditionalWrites
from stadtmelder_shared.events import EVENT_TYPES, Event, Location
from stadtmelder_shared.keyed_locks import KeyedLocks

log = logging.getLogger(__name__)
Document = dict[str, Any]


def _event_types() -> dict[str, type[Event]]:
    return EVENT_TYPES


class MongoAlertStore:
    """One document per subscription: its state and the events still to be published."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._subscriptions = database["alert_subscriptions"]
        self._conditional = ConditionalWrites(self._subscriptions, KeyedLocks())

    async def ensure_indexes(self) -> None:
        await self._subscriptions.create_index("token_hash")
        await self._subscriptions.create_index("outbox_pending")

    async def add(self, subscription: Subscription) -> None:
        await self._subscriptions.insert_one(_to_document(subscription))

    async def by_token_hash(self, token_hash: str) -> Subscription:
        document = await self._subscriptions.find_one({"token_hash": token_hash})
        if document is None:
            raise AlertLinkInvalid()
        return _from_document(document)

    async def change_status(
        self, subscription_id: str, before: AlertStatus, after: AlertStatus, event: Event
    ) -> bool:
        return await self._update(
            {"_id": subscription_id, "status": before},
            {
                "$set": {"status": after, f"{after}_at": event.occurred_at},
                "$push": {"outbox": _outbox_entry(event)},
                "$inc": {"outbox_pending": 1, "revision": 1},
            },
        )

    async def with_pending_events(self, limit: int) -> list[Subscription]:
        cursor = self._subscriptions.find({"outbox_pending": {"$gt": 0}}).limit(limit)
        return [_from_document(document) async for document in cursor]

    async def mark_published(self, subscription_id: str, event_ids: Sequence[str]) -> None:
        published = set(event_ids)
        # An event appended between our read and this write must stay: compare revisions.
        while True:
            document = await self._subscriptions.find_one(
                {"_id": subscription_id}, projection={"outbox": 1, "revision": 1}
            )
            if document is None:
                return
            remaining = [e for e in document["outbox"] if e["event"]["event_id"] not in published]
            changed = await self._update(
                {"_id": subscription_id, "revision": document["revision"]},
                {
                    "$set": {"outbox": remaining, "outbox_pending": len(remaining)},
                    "$inc": {"revision": 1},
                },
            )
            if changed:
                return

    async def _update(self, condition: Document, update: Document) -> bool:
        """One subscription's update if it meets `condition`; see `conditional_writes`."""
        return await self._conditional.update(condition, update)


def _outbox_entry(event: Event, topic: str = topics.AREA_ALERTS) -> Document:
    return {"topic": topic, "type": event.type, "event": event.model_dump(mode="json")}


def _to_document(subscription: Subscription) -> Document:
    area = subscription.area
    return {
        "_id": subscription.id,
        "jurisdiction": subscription.jurisdiction,
        "status": subscription.status,
        "language": subscription.language,
        "area": {
            "centre": area.centre.model_dump() if area.centre else None,
            "radius_m": area.radius_m,
            "district": area.district,
        },
        "category": subscription.category,
        "frequency": subscription.frequency,
        "token_hash": subscription.token_hash,
        "requested_at": subscription.requested_at,
        "confirmed_at": subscription.confirmed_at,
        "cancelled_at": subscription.cancelled_at,
        "outbox": [_outbox_entry(event, topic) for topic, event in subscription.pending_events],
        "outbox_pending": len(subscription.pending_events),
        "revision": subscription.revision,
    }


def _from_document(document: Document) -> Subscription:
    area = document["area"]
    types = _event_types()
    return Subscription(
        id=document["_id"],
        jurisdiction=document["jurisdiction"],
        status=document["status"],
        language=document["language"],
        area=AlertArea(
            centre=Location.model_validate(area["centre"]) if area.get("centre") else None,
            radius_m=area.get("radius_m"),
            district=area.get("district"),
        ),
        category=document.get("category"),
        frequency=document["frequency"],
        token_hash=document["token_hash"],
        requested_at=document["requested_at"],
        confirmed_at=document.get("confirmed_at"),
        cancelled_at=document.get("cancelled_at"),
        pending_events=[
            (entry["topic"], types[entry["type"]].model_validate(entry["event"]))
            for entry in document.get("outbox", [])
        ],
        revision=document.get("revision", 0),
    )


class AlertOutboxRelay:
    """Publishes the alerts' pending events, then marks them sent; at least once, in order.

    Runs until cancelled, like the reports' OutboxRelay: woken by `wake()` after a change and
    polling as a safety net, backing off while Kafka or MongoDB are away.
    """

    def __init__(
        self,
        store: AlertStore,
        publisher: EventPublisher,
        poll_seconds: float = 1.0,
        batch_size: int = 100,
        max_backoff_seconds: float = 10.0,
        first_backoff_seconds: float = 1.0,
    ) -> None:
        self._store = store
        self._publisher = publisher
        self._poll_seconds = poll_seconds
        self._batch_size = batch_size
        self._max_backoff = max_backoff_seconds
        # Retries start short whatever the safety-net poll is: Kafka is often back in a second.
        self._first_backoff = min(first_backoff_seconds, max_backoff_seconds)
        self._wakeup = asyncio.Event()
        self._stopping = False

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        """Let `run` return after one more pass (the service shuts down)."""
        self._stopping = True
        self._wakeup.set()

    async def publish_pending(self) -> int:
        published = 0
        for subscription in await self._store.with_pending_events(self._batch_size):
            sent = []
            for topic, event in subscription.pending_events:
                await self._publisher.publish(topic, event)
                sent.append(event.event_id)
                log.info(
                    "alert event published",
                    extra={"subscription_id": subscription.id, "event_id": event.event_id},
                )
            await self._store.mark_published(subscription.id, sent)
            published += len(sent)
        return published

    async def run(self) -> None:
        backoff = self._first_backoff
        while True:
            stopping = self._stopping
            # Cleared before the pass, not after: a wake or stop() during the pass is kept.
            self._wakeup.clear()
            try:
                published = await self.publish_pending()
            except Exception:
                log.exception("alert relay could not publish; retrying in %.1f s", backoff)
                if self._stopping:
                    return
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, self._max_backoff)
                continue
            if stopping and published < self._batch_size:
                return
            backoff = self._first_backoff
            if published >= self._batch_size:
                continue
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), self._poll_seconds)
