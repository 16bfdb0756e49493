"""Where an alert subscriber's erasure writes: the Protocol and its adapter on the alerts'
collection, which keeps no address itself, only in a request still waiting to be published."""

from typing import Any, NamedTuple, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.core.documents import outbox_entry
from stadtmelder_reports.erasure.domain import Erasure
from stadtmelder_shared import topics
from stadtmelder_shared.alert_events import AreaAlertRequested
from stadtmelder_shared.conditional_writes import ConditionalWrites
from stadtmelder_shared.keyed_locks import KeyedLocks

Document = dict[str, Any]


class Subscriber(NamedTuple):
    subscription_id: str
    jurisdiction: str


class AlertContactStore(Protocol):
    async def subscriber_of(self, token_hash: str) -> Subscriber | None:
        """Whose alert's link token has this hash; None if there is none."""
        ...

    async def erase_subscriber(self, subscription_id: str, erasure: Erasure) -> bool:
        """Cancel the alert, drop the address from its waiting events and queue the erasure,
        once: False if it was erased before."""
        ...


class MongoAlertContactStore:
    def __init__(self, database: AsyncDatabase[Document], locks: KeyedLocks | None = None) -> None:
        self._subscriptions = database["alert_subscriptions"]
        # The alerts' store's `locks`: the subscription's owner writes it from its commands
        # and its relay at once, which must not meet (FerretDB loses one of two such writes).
        self._conditional = ConditionalWrites(self._subscriptions, locks or KeyedLocks())

    async def subscriber_of(self, token_hash: str) -> Subscriber | None:
        document = await self._subscriptions.find_one(
            {"token_hash": token_hash}, projection={"_id": 1, "jurisdiction": 1}
        )
        return None if document is None else Subscriber(document["_id"], document["jurisdiction"])

    async def erase_subscriber(self, subscription_id: str, erasure: Erasure) -> bool:
        for _ in range(3):  # another step of the alert may write between our read and write
            document = await self._subscriptions.find_one({"_id": subscription_id})
            if document is None or document.get("contact_erased_at") is not None:
                return False
            outbox = [
                # A request still waiting names the subscriber; unsent, it need not go at all.
                *(e for e in document.get("outbox") or [] if e["type"] != AreaAlertRequested.type),
                outbox_entry(topics.CONTACT_DATA_ERASED, erasure.event),
            ]
            changes = {
                "status": "cancelled",
                "cancelled_at": document.get("cancelled_at") or erasure.erased_at,
                "contact_erased_at": erasure.erased_at,
                "outbox": outbox,
                "outbox_pending": len(outbox),
            }
            if await self._conditional.update(
                {"_id": subscription_id, "revision": document.get("revision", 0)},
                {"$set": changes, "$inc": {"revision": 1}},
            ):
                return True
        raise RuntimeError("an alert kept changing while its subscriber was erased")


class NoAlerts:
    """For a deployment or test without area alerts: no link token is an alert's."""

    async def subscriber_of(self, token_hash: str) -> Subscriber | None:
        return None

    async def erase_subscriber(self, subscription_id: str, erasure: Erasure) -> bool:
        return False
