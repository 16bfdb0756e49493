"""Where area alerts are kept: the store Protocol, its MongoDB adapter with the outbox inside,
the outbox as the relay sees it, and the districts of the areas file."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.alerts.domain import AlertLinkInvalid, District, Subscription
from stadtmelder_reports.core.documents import event_from
from stadtmelder_reports.core.outbox_store import DocumentOutbox, Pending
from stadtmelder_reports.core.outbox_writes import drop_published
from stadtmelder_shared import topics
from stadtmelder_shared.alert_areas import (
    AlertStatus,
    subscription_head,
    subscription_head_document,
)
from stadtmelder_shared.areas import DEFAULT_AREAS_FILE
from stadtmelder_shared.conditional_writes import ConditionalWrites
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.keyed_locks import KeyedLocks

Document = dict[str, Any]


class AlertStore(Protocol):
    async def add(self, subscription: Subscription) -> None: ...

    async def by_id(self, subscription_id: str) -> Subscription | None: ...

    async def by_token_hash(self, token_hash: str) -> Subscription:
        """Raises AlertLinkInvalid when no subscription has this token."""
        ...

    async def change_status(
        self, subscription_id: str, before: AlertStatus, after: AlertStatus, event: Event
    ) -> bool:
        """Move from `before` to `after` and queue `event` in one write; False if not `before`."""
        ...

    async def with_pending_events(self, limit: int) -> list[Subscription]: ...

    async def mark_published(self, subscription_id: str, event_ids: Sequence[str]) -> None: ...


def load_districts(path: Path | None = None) -> tuple[District, ...]:
    """The districts (features of kind `district`) of an areas file, by id."""
    document = json.loads((path or DEFAULT_AREAS_FILE).read_text(encoding="utf-8"))
    found = [
        District(str(f["properties"]["id"]), str(f["properties"].get("name", "")))
        for f in document.get("features", [])
        if (f.get("properties") or {}).get("kind") == "district"
    ]
    return tuple(sorted(found, key=lambda d: d.id))


class MongoAlertStore:
    """One document per subscription: its state and the events still to be published."""

    def __init__(self, database: AsyncDatabase[Document], locks: KeyedLocks | None = None) -> None:
        self._subscriptions = database["alert_subscriptions"]
        # `locks` shared with the process's other writers of subscriptions (the erasure's).
        self._conditional = ConditionalWrites(self._subscriptions, locks or KeyedLocks())

    async def ensure_indexes(self) -> None:
        await self._subscriptions.create_index("token_hash")
        await self._subscriptions.create_index("outbox_pending")

    async def add(self, subscription: Subscription) -> None:
        await self._subscriptions.insert_one(_to_document(subscription))

    async def by_id(self, subscription_id: str) -> Subscription | None:
        document = await self._subscriptions.find_one({"_id": subscription_id})
        return None if document is None else _from_document(document)

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
        await drop_published(self._subscriptions, self._update, subscription_id, event_ids)

    async def _update(self, condition: Document, update: Document) -> bool:
        """One subscription's update if it meets `condition`; see `conditional_writes`."""
        return await self._conditional.update(condition, update)


def _outbox_entry(event: Event, topic: str = topics.AREA_ALERTS) -> Document:
    return {"topic": topic, "type": event.type, "event": event.model_dump(mode="json")}


def _to_document(subscription: Subscription) -> Document:
    return {
        **subscription_head_document(subscription),
        "category": subscription.category,
        "token_hash": subscription.token_hash,
        "cancelled_at": subscription.cancelled_at,
        "outbox": [_outbox_entry(event, topic) for topic, event in subscription.pending_events],
        "outbox_pending": len(subscription.pending_events),
        "revision": subscription.revision,
    }


def _from_document(document: Document) -> Subscription:
    return Subscription(
        **subscription_head(document),
        category=document.get("category"),
        token_hash=document["token_hash"],
        cancelled_at=document.get("cancelled_at"),
        pending_events=[
            (entry["topic"], event_from(entry)) for entry in document.get("outbox", [])
        ],
        revision=document.get("revision", 0),
    )


class AlertOutbox(DocumentOutbox[Subscription]):
    """The alerts' outbox for the relay: the events inside subscription documents."""

    def __init__(self, store: AlertStore) -> None:
        super().__init__("subscription_id", store, store.by_id)

    def handed_over(self, pending: Pending, event_ids: Sequence[str]) -> None:
        """Published by a replica that does not own the subscription: left in its outbox for
        the owner, whose relay publishes them again (consumers drop the repeat by event id)
        and drops them; a new subscription's id is drawn owned, so this is rare."""
