"""Area alerts without I/O: the request and its checks, the subscription, its steps, errors."""

import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.domain import token_hash
from stadtmelder_reports.errors import FieldProblem, ReportsError
from stadtmelder_shared import topics
from stadtmelder_shared.alert_areas import AlertArea, AlertSubscription, Frequency
from stadtmelder_shared.alert_events import (
    AreaAlertCancelled,
    AreaAlertConfirmed,
    AreaAlertRequested,
)
from stadtmelder_shared.data_keys import alert_key_id
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Language, Location
from stadtmelder_shared.sealing import seal
from stadtmelder_shared.translations import N_

DEFAULT_RADIUS_M = 500.0


# --- errors -------------------------------------------------------------------------------------


class InvalidAlert(ReportsError):
    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))


class AlertLinkInvalid(ReportsError):
    def __init__(self) -> None:
        super().__init__(
            "This alert link is not valid or has expired. "
            "Please check it was copied completely, or subscribe again."
        )


class AlertWasCancelled(ReportsError):
    def __init__(self) -> None:
        super().__init__("This alert was cancelled. To get alerts again, please subscribe anew.")


# --- places -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class District:
    id: str
    name: str


@dataclass(frozen=True)
class AlertRequest:
    email: str
    language: Language = "de"
    lat: float | None = None
    lon: float | None = None
    radius_m: float | None = None
    district: str | None = None
    category: str | None = None
    frequency: Frequency = "immediately"


def check_request(
    request: AlertRequest, jurisdiction: Jurisdiction, districts: Sequence[District]
) -> AlertArea:
    """The area asked for; InvalidAlert names every field that is wrong and why."""
    problems: list[FieldProblem] = []
    has_point = request.lat is not None or request.lon is not None
    if has_point and request.district is not None:
        problems.append(
            FieldProblem(
                "district",
                "Give either a place (lat, lon) or a district, not both.",
                N_("alerts_err_place_or_district"),
            )
        )
    elif not has_point and request.district is None:
        problems.append(
            FieldProblem(
                "lat",
                "Give a place (lat, lon and optionally radius_m) or a district.",
                N_("alerts_err_place"),
            )
        )
    if (request.lat is None) != (request.lon is None):
        missing = "lat" if request.lat is None else "lon"
        problems.append(FieldProblem(missing, "Give both lat and lon.", N_("alerts_err_place")))
    if request.radius_m is not None and not has_point:
        problems.append(
            FieldProblem(
                "radius_m", "A radius needs a place: give lat and lon.", N_("alerts_err_place")
            )
        )
    area = AlertArea()
    if request.lat is not None and request.lon is not None:
        centre = Location(lat=request.lat, lon=request.lon)
        if not jurisdiction.boundary.contains(centre):
            city = jurisdiction.names.get("en", jurisdiction.code)
            problems.append(
                FieldProblem(
                    "lat",
                    f"The point {centre.lat:.5f}, {centre.lon:.5f} lies outside the area of the "
                    f"{city}; alerts are for places inside it.",
                    N_("alerts_err_outside"),
                )
            )
        area = AlertArea(centre=centre, radius_m=request.radius_m or DEFAULT_RADIUS_M)
    elif request.district is not None:
        known = {d.id for d in districts}
        if request.district not in known:
            choices = ", ".join(f"{d.id} ({d.name})" for d in districts)
            unknown = f"Unknown district; choose one of {choices}."
            problems.append(FieldProblem("district", unknown, N_("alerts_err_district")))
        area = AlertArea(district=request.district)
    if request.category is not None and jurisdiction.category(request.category) is None:
        problems.append(
            FieldProblem(
                "category",
                "Unknown category; see GET /api/v1/categories for the codes.",
                N_("alerts_err_category"),
            )
        )
    if problems:
        raise InvalidAlert(problems)
    return area


# --- the subscription and its steps --------------------------------------------------------------


@dataclass(frozen=True)
class Subscription(AlertSubscription):
    """What the reports service keeps of an alert: no address, only the link token's hash."""

    category: str | None
    token_hash: str
    cancelled_at: datetime | None = None
    pending_events: list[tuple[str, Event]] = field(default_factory=list)
    revision: int = 0


def new_subscription_id() -> str:
    return f"alert-{uuid.uuid4().hex}"


def new_alert_token() -> str:
    return secrets.token_urlsafe(32)


def new_subscription(
    request: AlertRequest,
    area: AlertArea,
    jurisdiction: Jurisdiction,
    now: datetime,
    subscription_id: str,
    token: str,
    data_key: bytes,
) -> Subscription:
    """A requested alert with the event that asks notify for the confirmation mail, the
    address and token in it sealed under `data_key`, the alert's (docs/personal-data.md)."""
    key_id = alert_key_id(subscription_id)
    category = jurisdiction.category(request.category) if request.category else None
    requested = AreaAlertRequested(
        event_id=str(uuid.uuid4()),
        occurred_at=now,
        report_id=subscription_id,
        jurisdiction=jurisdiction.code,
        email=seal(data_key, key_id, "alert_email", request.email),
        language=request.language,
        centre=area.centre,
        radius_m=area.radius_m,
        district=area.district,
        category=request.category,
        frequency=request.frequency,
        confirm_token_hash=token_hash(token),
        confirm_token=seal(data_key, key_id, "alert_confirm_token", token),
        category_names=dict(category.names) if category else {},
    )
    return Subscription(
        id=subscription_id,
        jurisdiction=jurisdiction.code,
        status="requested",
        language=request.language,
        area=area,
        category=request.category,
        frequency=request.frequency,
        token_hash=token_hash(token),
        requested_at=now,
        pending_events=[(topics.AREA_ALERTS, requested)],
    )


def confirmed(subscription: Subscription, now: datetime, confirm_within: timedelta) -> Event | None:
    """The event of confirming it, or None when it is already confirmed."""
    if subscription.status == "confirmed":
        return None
    if subscription.status == "cancelled":
        raise AlertWasCancelled()
    if now - subscription.requested_at > confirm_within:
        raise AlertLinkInvalid()
    return AreaAlertConfirmed(
        occurred_at=now, report_id=subscription.id, jurisdiction=subscription.jurisdiction
    )


def cancelled(subscription: Subscription, now: datetime) -> Event | None:
    """The event of cancelling it (confirmed or not), or None when it is already cancelled."""
    if subscription.status == "cancelled":
        return None
    return AreaAlertCancelled(
        occurred_at=now, report_id=subscription.id, jurisdiction=subscription.jurisdiction
    )
