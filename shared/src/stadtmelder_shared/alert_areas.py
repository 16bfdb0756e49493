"""The area alert contract reports and notify share: its words, its area, and how the fields
both keep of a subscription are stored in their MongoDB documents."""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from stadtmelder_shared.event_values import Language, Location

Frequency = Literal["immediately", "daily"]
AlertStatus = Literal["requested", "confirmed", "cancelled"]
# Reports stops accepting the confirmation link after this, and notify then forgets the request.
CONFIRM_WITHIN = timedelta(days=7)


@dataclass(frozen=True)
class AlertArea:
    """A circle around a place, or a district."""

    centre: Location | None = None
    radius_m: float | None = None
    district: str | None = None


def _area_document(area: AlertArea) -> dict[str, Any]:
    """How both services keep an area in a subscription's MongoDB document."""
    return {
        "centre": area.centre.model_dump() if area.centre else None,
        "radius_m": area.radius_m,
        "district": area.district,
    }


def _area_from_document(document: dict[str, Any]) -> AlertArea:
    return AlertArea(
        centre=Location.model_validate(document["centre"]) if document.get("centre") else None,
        radius_m=document.get("radius_m"),
        district=document.get("district"),
    )


@dataclass(frozen=True, kw_only=True)
class AlertSubscription:
    """What both services keep of a subscription; each adds its own fields in a subclass."""

    id: str
    jurisdiction: str
    status: AlertStatus
    language: Language
    area: AlertArea
    frequency: Frequency
    requested_at: datetime
    confirmed_at: datetime | None = None


def subscription_head_document(subscription: AlertSubscription) -> dict[str, Any]:
    """The shared fields of a subscription's document; each service adds its own."""
    return {
        "_id": subscription.id,
        "jurisdiction": subscription.jurisdiction,
        "status": subscription.status,
        "language": subscription.language,
        "area": _area_document(subscription.area),
        "frequency": subscription.frequency,
        "requested_at": subscription.requested_at,
        "confirmed_at": subscription.confirmed_at,
    }


def subscription_head(document: dict[str, Any]) -> dict[str, Any]:
    """The shared fields of a subscription from its document, as keyword arguments."""
    return {
        "id": document["_id"],
        "jurisdiction": document["jurisdiction"],
        "status": document["status"],
        "language": document["language"],
        "area": _area_from_document(document["area"]),
        "frequency": document["frequency"],
        "requested_at": document["requested_at"],
        "confirmed_at": document.get("confirmed_at"),
    }
