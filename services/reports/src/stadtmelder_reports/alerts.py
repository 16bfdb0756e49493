"""Area alerts on the public side: check a request, keep its state, confirm and cancel by link."""

import json
import secrets
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

from stadtmelder_reports.catalogue import Jurisdiction
from stadtmelder_reports.domain import token_hash
from stadtmelder_reports.errors import FieldProblem, ReportsError
from stadtmelder_shared import topics
from stadtmelder_shared.areas import DEFAULT_AREAS_FILE
from stadtmelder_shared.events import (
    AreaAlertCancelled,
    AreaAlertConfirmed,
    AreaAlertRequested,
    Event,
    Language,
    Location,
)

Frequency = Literal["immediately", "daily"]
AlertStatus = Literal["requested", "confirmed", "cancelled"]
# The confirmation link works this long; notify forgets unconfirmed requests after it too.
CONFIRM_WITHIN = timedelta(days=7)
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


def default_areas_file() -> Path:
    return DEFAULT_AREAS_FILE


def load_districts(path: Path | None = None) -> tuple[District, ...]:
    """The districts (features of kind `district`) of an areas file, by id."""
    document = json.loads((path or default_areas_file()).read_text(encoding="utf-8"))
    found = [
        District(str(f["properties"]["id"]), str(f["properties"].get("name", "")))
        for f in document.get("features", [])
        if (f.get("properties") or {}).get("kind") == "district"
    ]
    return tuple(sorted(found, key=lambda d: d.id))


@dataclass(frozen=True)
class AlertArea:
    """A circle around a place, or a district."""

    centre: Location | None = None
    radius_m: float | None = None
    district: str | None = None


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
            FieldProblem("district", "Give either a place (lat, lon) or a district, not both.")
        )
    elif not has_point and request.district is None:
        problems.append(
            FieldProblem("lat", "Give a place (lat, lon and optionally radius_m) or a district.")
        )
    if (request.lat is None) != (request.lon is None):
        missing = "lat" if request.lat is None else "lon"
        problems.append(FieldProblem(missing, "Give both lat and lon."))
    if request.radius_m is not None and not has_point:
        problems.append(FieldProblem("radius_m", "A radius needs a place: give lat and lon."))
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
                )
            )
        area = AlertArea(centre=centre, radius_m=request.radius_m or DEFAULT_RADIUS_M)
    elif request.district is not None:
        known = {d.id for d in districts}
        if request.district not in known:
            choices = ", ".join(f"{d.id} ({d.name})" for d in districts)
            problems.append(FieldProblem("district", f"Unknown district; choose one of {choices}."))
        area = AlertArea(district=request.district)
    if request.category is not None and jurisdiction.category(request.category) is None:
        problems.append(
            FieldProblem("category", "Unknown category; see GET /api/v1/categories for the codes.")
        )
    if problems:
        raise InvalidAlert(problems)
    return area


# --- the subscription and its steps --------------------------------------------------------------


@dataclass
class Subscription:
    """What the reports service keeps of an alert: no address, only the link token's hash."""

    id: str
    jurisdiction: str
    status: AlertStatus
    language: Language
    area: AlertArea
    category: str | None
    frequency: Frequency
    token_hash: str
    requested_at: datetime
    confirmed_at: datetime | None = None
    cancelled_at: datetime | None = None
    pending_events: list[tuple[str, Event]] = field(default_factory=list)
    revision: int = 0


def new_alert_token() -> str:
    return secrets.token_urlsafe(32)


def new_subscription(
    request: AlertRequest,
    area: AlertArea,
    jurisdiction: Jurisdiction,
    now: datetime,
    subscription_id: str,
    token: str,
) -> Subscription:
    """A requested alert with the event that asks notify for the confirmation mail."""
    category = jurisdiction.category(request.category) if request.category else None
    requested = AreaAlertRequested(
        event_id=str(uuid.uuid4()),
        occurred_at=now,
        report_id=subscription_id,
        jurisdiction=jurisdiction.code,
        email=request.email,
        language=request.language,
        centre=area.centre,
        radius_m=area.radius_m,
        district=area.district,
        category=request.category,
        frequency=request.frequency,
        confirm_token_hash=token_hash(token),
        confirm_token=token,
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


# --- the use cases ------------------------------------------------------------------------------


class AlertStore(Protocol):
    async def add(self, subscription: Subscription) -> None: ...

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


def utc_now() -> datetime:
    return datetime.now(UTC)


class AlertService:
    def __init__(
        self,
        store: AlertStore,
        jurisdiction: Jurisdiction,
        districts: Sequence[District],
        on_events_pending: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
        confirm_within: timedelta = CONFIRM_WITHIN,
    ) -> None:
        self.jurisdiction = jurisdiction
        self.districts = tuple(districts)
        self._store = store
        self._on_events_pending = on_events_pending
        self._clock = clock
        self._confirm_within = confirm_within

    def district(self, district_id: str) -> District | None:
        return next((d for d in self.districts if d.id == district_id), None)

    async def request_alert(self, request: AlertRequest) -> None:
        """Store the request and ask notify for the confirmation mail; the same for every
        address, so the answer never tells whether it is subscribed already."""
        area = check_request(request, self.jurisdiction, self.districts)
        subscription = new_subscription(
            request,
            area,
            self.jurisdiction,
            self._clock(),
            f"alert-{uuid.uuid4().hex}",
            new_alert_token(),
        )
        await self._store.add(subscription)
        self._on_events_pending()

    async def by_token(self, token: str) -> Subscription:
        return await self._store.by_token_hash(token_hash(token))

    async def to_confirm(self, token: str) -> Subscription:
        """What the confirmation link would confirm; refused like confirming would be."""
        subscription = await self.by_token(token)
        confirmed(subscription, self._clock(), self._confirm_within)
        return subscription

    async def confirm(self, token: str) -> Subscription:
        return await self._step(
            token, "confirmed", lambda s: confirmed(s, self._clock(), self._confirm_within)
        )

    async def cancel(self, token: str) -> Subscription:
        return await self._step(token, "cancelled", lambda s: cancelled(s, self._clock()))

    async def _step(
        self, token: str, after: AlertStatus, decide: Callable[[Subscription], Event | None]
    ) -> Subscription:
        # A status only moves forward (requested, confirmed, cancelled), so when another click
        # changed it meanwhile, deciding once more on the new state always settles it.
        for _ in range(3):
            subscription = await self.by_token(token)
            event = decide(subscription)
            if event is None:
                return subscription
            if await self._store.change_status(subscription.id, subscription.status, after, event):
                self._on_events_pending()
                return replace(subscription, status=after, pending_events=[])
        raise RuntimeError("an alert's status kept changing while it was being changed")
