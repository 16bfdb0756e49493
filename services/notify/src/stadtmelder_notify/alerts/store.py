"""Where notify keeps area alerts: subscriptions and the parts of new reports.

Each document has one writer: a subscription is written by the consumer of its own partition,
each part of a report by the consumer of its topic, a digest item once; so FerretDB 1.24's lost
concurrent updates of one document cannot happen here.
"""

import contextlib
from datetime import datetime
from typing import Any, Literal, Protocol

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import DuplicateKeyError

from stadtmelder_notify.alerts.domain import (
    MAX_RADIUS_M,
    NewReport,
    RoutedPart,
    SubmittedPart,
    Subscription,
    new_report,
)
from stadtmelder_notify.fresh import Fresh
from stadtmelder_shared.alert_areas import subscription_head, subscription_head_document
from stadtmelder_shared.event_values import CategoryRef, DepartmentRef, Location
from stadtmelder_shared.geo import degree_box

Document = dict[str, Any]
# How long the parts written here are remembered, to complete a report without reading them.
PARTS_S = 60.0
# A new report is stored in two parts, one per event, each written once.
Part = Literal["submitted", "routed"]


class SubscriptionStore(Protocol):
    async def add(self, subscription: Subscription) -> Subscription:
        """Keep a requested subscription once; returns what is stored (maybe further along)."""
        ...

    async def get(self, subscription_id: str) -> Subscription | None: ...

    async def save_confirmed(self, subscription: Subscription) -> None:
        """Store the confirmation, unless the subscription was cancelled meanwhile."""
        ...

    async def cancel(self, subscription_id: str, at: datetime) -> None:
        """Stop it for good and forget the address and the link token."""
        ...

    async def candidates(
        self, jurisdiction: str, category: str, district: str | None, near: Location
    ) -> list[Subscription]:
        """Confirmed subscriptions that may concern a report there: of its category or of all,
        for its district or with a centre close enough. The exact decision is `concerns`."""
        ...

    async def forget_unconfirmed(self, requested_before: datetime) -> int: ...


class NewReportStore(Protocol):
    """New reports with a place, from their routing, which carries it. An older routing's event
    carries only its own part, completed by the submitted part an older notify stored."""

    async def add(self, report: NewReport) -> None: ...

    async def add_routed(self, part: RoutedPart) -> None: ...

    async def complete(self, report_id: str) -> NewReport | None:
        """The report of an older routing's event, once both parts are here."""
        ...

    async def routed_since(self, at: datetime) -> list[NewReport]: ...

    async def forget_before(self, at: datetime) -> int: ...


# --- MongoDB ------------------------------------------------------------------------------------


class MongoSubscriptionStore:
    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._subscriptions = database["alert_subscriptions"]

    async def ensure_indexes(self) -> None:
        await self._subscriptions.create_index([("status", ASCENDING), ("area.centre.lat", 1)])
        await self._subscriptions.create_index("requested_at")

    async def add(self, subscription: Subscription) -> Subscription:
        try:
            await self._subscriptions.insert_one(_subscription_document(subscription))
        except DuplicateKeyError:
            stored = await self.get(subscription.id)
            assert stored is not None
            return stored
        return subscription

    async def get(self, subscription_id: str) -> Subscription | None:
        document = await self._subscriptions.find_one({"_id": subscription_id})
        return _subscription(document) if document else None

    async def save_confirmed(self, subscription: Subscription) -> None:
        await self._subscriptions.update_one(
            {"_id": subscription.id, "status": "requested"},
            {"$set": {"status": "confirmed", "confirmed_at": subscription.confirmed_at}},
        )

    async def cancel(self, subscription_id: str, at: datetime) -> None:
        await self._subscriptions.update_one(
            {"_id": subscription_id},
            {"$set": {"status": "cancelled", "cancelled_at": at, "email": None, "token": None}},
        )

    async def candidates(
        self, jurisdiction: str, category: str, district: str | None, near: Location
    ) -> list[Subscription]:
        min_lon, min_lat, max_lon, max_lat = degree_box(near, MAX_RADIUS_M)
        places: list[Document] = [
            {
                "area.centre.lat": {"$gte": min_lat, "$lte": max_lat},
                "area.centre.lon": {"$gte": min_lon, "$lte": max_lon},
            }
        ]
        if district is not None:
            places.append({"area.district": district})
        cursor = self._subscriptions.find(
            {
                "status": "confirmed",
                "jurisdiction": jurisdiction,
                "$and": [
                    {"$or": [{"category.code": None}, {"category.code": category}]},
                    {"$or": places},
                ],
            }
        ).sort("_id", ASCENDING)
        return [_subscription(document) async for document in cursor]

    async def forget_unconfirmed(self, requested_before: datetime) -> int:
        result = await self._subscriptions.delete_many(
            {"status": "requested", "requested_at": {"$lt": requested_before}}
        )
        return result.deleted_count


def _subscription_document(subscription: Subscription) -> Document:
    return {
        **subscription_head_document(subscription),
        # A missing category is stored as {code: null}, which the candidates query asks for.
        "category": subscription.category.model_dump() if subscription.category else {"code": None},
        "email": subscription.email,
        "token": subscription.token,
    }


def _subscription(document: Document) -> Subscription:
    category = document.get("category") or {}
    return Subscription(
        **subscription_head(document),
        category=CategoryRef.model_validate(category) if category.get("code") else None,
        email=document.get("email"),
        token=document.get("token"),
    )


class MongoNewReportStore:
    """One document per routed report (`<report id>|routed`), written once, whole since the
    routing carries the place. Older versions stored a report in two parts (`<report id>|submitted`
    too), which are still completed, and forgotten after `keep_reports`.

    The parts written here are remembered for `PARTS_S`, so a redelivery reads nothing back.
    """

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._parts = database["alert_reports"]
        self._written: Fresh[Document] = Fresh(PARTS_S)

    async def ensure_indexes(self) -> None:
        await self._parts.create_index("report_id")
        await self._parts.create_index([("part", ASCENDING), ("at", ASCENDING)])

    async def add(self, report: NewReport) -> None:
        # One document: a routed part that needs no submitted part to be whole.
        await self._insert_once(
            report.id,
            "routed",
            report.routed_at,
            department=report.department.model_dump(),
            jurisdiction=report.jurisdiction,
            category=report.category.model_dump(),
            location=report.location.model_dump(),
            address=report.address,
        )

    async def add_routed(self, part: RoutedPart) -> None:
        await self._insert_once(
            part.report_id, "routed", part.routed_at, department=part.department.model_dump()
        )

    async def complete(self, report_id: str) -> NewReport | None:
        # By `_id` alone, each: FerretDB 1.24 decodes the whole collection for any other filter.
        submitted = await self._part(_part_id(report_id, "submitted"))
        if submitted is None:
            return None
        routed = await self._part(_part_id(report_id, "routed"))
        if routed is None:
            return None
        return new_report(_submitted(submitted), _routed(routed))

    async def routed_since(self, at: datetime) -> list[NewReport]:
        whole: list[NewReport] = []
        halves: dict[str, RoutedPart] = {}
        async for document in self._parts.find({"part": "routed", "at": {"$gte": at}}):
            if document.get("location"):
                whole.append(new_report(_submitted(document), _routed(document)))
            else:
                halves[document["report_id"]] = _routed(document)
        if not halves:
            return whole
        # Routed parts of an older routing's events, completed by their submitted parts.
        ids = [_part_id(report_id, "submitted") for report_id in halves]
        cursor = self._parts.find({"_id": {"$in": ids}})
        return whole + [new_report(_submitted(d), halves[d["report_id"]]) async for d in cursor]

    async def forget_before(self, at: datetime) -> int:
        self._written.clear()  # what was written lately must not bring back a forgotten part
        result = await self._parts.delete_many({"at": {"$lt": at}})
        return result.deleted_count

    async def _part(self, part_id: str) -> Document | None:
        return self._written.get(part_id) or await self._parts.find_one({"_id": part_id})

    async def _insert_once(self, report_id: str, part: Part, at: datetime, **fields: Any) -> None:
        document: Document = {
            "_id": _part_id(report_id, part),
            "report_id": report_id,
            "part": part,
            "at": at,
            **fields,
        }
        # A redelivered event: the part is here already.
        with contextlib.suppress(DuplicateKeyError):
            await self._parts.insert_one(document)
        self._written.put(document["_id"], document)


def _part_id(report_id: str, part: Part) -> str:
    return f"{report_id}|{part}"


def _submitted(document: Document) -> SubmittedPart:
    return SubmittedPart(
        report_id=document["report_id"],
        jurisdiction=document["jurisdiction"],
        category=CategoryRef.model_validate(document["category"]),
        location=Location.model_validate(document["location"]),
        address=document.get("address"),
        submitted_at=document["at"],
    )


def _routed(document: Document) -> RoutedPart:
    return RoutedPart(
        document["report_id"], DepartmentRef.model_validate(document["department"]), document["at"]
    )
