"""Area alerts as notify sees them: subscriptions, new reports, which alert a report concerns."""

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta, tzinfo
from pathlib import Path
from typing import Any

from stadtmelder_shared.alert_areas import AlertArea, AlertSubscription
from stadtmelder_shared.alert_events import AreaAlertRequested
from stadtmelder_shared.areas import DEFAULT_AREAS_FILE
from stadtmelder_shared.event_values import CategoryRef, DepartmentRef, Location
from stadtmelder_shared.geo import distance_m
from stadtmelder_shared.report_events import ReportRouted

MAX_RADIUS_M = 5000.0


@dataclass(frozen=True)
class Subscription(AlertSubscription):
    category: CategoryRef | None
    # Both are forgotten when the alert is cancelled.
    email: str | None
    token: str | None


def requested_subscription(event: AreaAlertRequested, email: str, token: str) -> Subscription:
    """The subscription asked for, with the address and token opened from the event."""
    category = (
        CategoryRef(code=event.category, names=event.category_names) if event.category else None
    )
    return Subscription(
        id=event.report_id,
        jurisdiction=event.jurisdiction,
        status="requested",
        language=event.language,
        area=AlertArea(event.centre, event.radius_m, event.district),
        category=category,
        frequency=event.frequency,
        requested_at=event.occurred_at,
        email=email,
        token=token,
    )


def confirmed(subscription: Subscription, at: datetime) -> Subscription | None:
    """The confirmed subscription, or None when it cannot be confirmed (any more)."""
    if subscription.status != "requested":
        return None
    return replace(subscription, status="confirmed", confirmed_at=at)


# --- new reports --------------------------------------------------------------------------------


@dataclass(frozen=True)
class SubmittedPart:
    """The public facts of a submitted report: never the reporter, never the description."""

    report_id: str
    jurisdiction: str
    category: CategoryRef
    location: Location
    address: str | None
    submitted_at: datetime


@dataclass(frozen=True)
class RoutedPart:
    report_id: str
    department: DepartmentRef
    routed_at: datetime


@dataclass(frozen=True)
class NewReport:
    """A routed report with a place: what an alert is about."""

    id: str
    jurisdiction: str
    category: CategoryRef
    location: Location
    address: str | None
    department: DepartmentRef
    routed_at: datetime


def routed_report(event: ReportRouted) -> NewReport | None:
    """The whole new report from its routing alone, which carries the place; None for a report
    without one, or an event of an older routing service (its submission completes it)."""
    if event.location is None:
        return None
    return NewReport(
        id=event.report_id,
        jurisdiction=event.jurisdiction,
        category=event.category,
        location=event.location,
        address=event.address,
        department=event.department,
        routed_at=event.occurred_at,
    )


def routed_part(event: ReportRouted) -> RoutedPart:
    return RoutedPart(event.report_id, event.department, event.occurred_at)


def new_report(submitted: SubmittedPart, routed: RoutedPart) -> NewReport:
    return NewReport(
        id=submitted.report_id,
        jurisdiction=submitted.jurisdiction,
        category=submitted.category,
        location=submitted.location,
        address=submitted.address,
        department=routed.department,
        routed_at=routed.routed_at,
    )


# --- districts ----------------------------------------------------------------------------------

Ring = Sequence[tuple[float, float]]


@dataclass(frozen=True)
class District:
    id: str
    name: str
    # Polygons, each a list of rings (outer ring, then holes) of (lon, lat).
    polygons: tuple[tuple[Ring, ...], ...]

    def contains(self, location: Location) -> bool:
        return any(_inside(location.lon, location.lat, rings) for rings in self.polygons)


def _inside(x: float, y: float, rings: Sequence[Ring]) -> bool:
    """Even-odd rule over all rings, so holes are outside; enough for district outlines."""
    inside = False
    for ring in rings:
        for (x1, y1), (x2, y2) in zip(ring, [*ring[1:], ring[0]], strict=True):
            if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
                inside = not inside
    return inside


class Districts:
    """The jurisdiction's districts; a place lies in at most one of them."""

    def __init__(self, districts: Iterable[District]) -> None:
        self._districts = {district.id: district for district in districts}

    def at(self, location: Location) -> str | None:
        return next((d.id for d in self._districts.values() if d.contains(location)), None)

    def name(self, district_id: str) -> str:
        district = self._districts.get(district_id)
        return district.name if district else district_id

    def ids(self) -> list[str]:
        return sorted(self._districts)


def default_areas_file() -> Path:
    return DEFAULT_AREAS_FILE


def load_districts(path: Path | None = None) -> Districts:
    """The features of kind `district` of an areas file (GeoJSON, WGS84)."""
    document = json.loads((path or default_areas_file()).read_text(encoding="utf-8"))
    return Districts(
        District(
            str(feature["properties"]["id"]),
            str(feature["properties"].get("name", "")),
            _polygons(feature["geometry"]),
        )
        for feature in document.get("features", [])
        if (feature.get("properties") or {}).get("kind") == "district"
    )


def _polygons(geometry: Mapping[str, Any]) -> tuple[tuple[Ring, ...], ...]:
    if geometry["type"] == "Polygon":
        polygons = [geometry["coordinates"]]
    elif geometry["type"] == "MultiPolygon":
        polygons = geometry["coordinates"]
    else:
        raise ValueError(f"a district must be a (Multi)Polygon, not a {geometry['type']}")
    return tuple(
        tuple(tuple((float(x), float(y)) for x, y, *_ in ring) for ring in polygon)
        for polygon in polygons
    )


# --- the decisions ------------------------------------------------------------------------------


def concerns(subscription: Subscription, report: NewReport, district: str | None) -> bool:
    """Whether `report`, routed in `district`, is news for this alert.

    Only confirmed alerts, only reports routed after the confirmation (so a replayed topic
    never sends old reports), only the alert's category if it has one.
    """
    if subscription.status != "confirmed" or subscription.confirmed_at is None:
        return False
    if report.jurisdiction != subscription.jurisdiction:
        return False
    if report.routed_at < subscription.confirmed_at:
        return False
    if subscription.category is not None and subscription.category.code != report.category.code:
        return False
    area = subscription.area
    if area.district is not None:
        return district == area.district
    if area.centre is not None and area.radius_m is not None:
        return distance_m(area.centre, report.location) <= area.radius_m
    return False


@dataclass(frozen=True)
class DigestItem:
    subscription_id: str
    day: date
    report: NewReport


def digest_day(at: datetime, zone: tzinfo) -> date:
    """The local day a report belongs to in the daily digests."""
    return at.astimezone(zone).date()


def first_undue_day(now: datetime, zone: tzinfo, send_at: time) -> date:
    """Digests of the days before this one are due: yesterday's once `send_at` has passed."""
    local = now.astimezone(zone)
    today = local.date()
    return today if local.time() >= send_at else today - timedelta(days=1)


def digests(items: Iterable[DigestItem]) -> dict[tuple[str, date], list[NewReport]]:
    """One digest per subscription and day, its reports in the order they were routed."""
    grouped: dict[tuple[str, date], dict[str, NewReport]] = {}
    for item in items:
        grouped.setdefault((item.subscription_id, item.day), {})[item.report.id] = item.report
    return {
        key: sorted(reports.values(), key=lambda r: (r.routed_at, r.id))
        for key, reports in sorted(grouped.items())
    }
