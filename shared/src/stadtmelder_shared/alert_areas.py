"""The area alert contract reports and notify share: its words, its area and the area's document."""

from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from stadtmelder_shared.events import Location

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


def area_document(area: AlertArea) -> dict[str, Any]:
    """How both services keep an area in a subscription's MongoDB document."""
    return {
        "centre": area.centre.model_dump() if area.centre else None,
        "radius_m": area.radius_m,
        "district": area.district,
    }


def area_from_document(document: dict[str, Any]) -> AlertArea:
    return AlertArea(
        centre=Location.model_validate(document["centre"]) if document.get("centre") else None,
        radius_m=document.get("radius_m"),
        district=document.get("district"),
    )
