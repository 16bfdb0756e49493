"""In-memory stand-ins for the area alert stores; they pass the same contract tests as MongoDB's."""

from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime

from stadtmelder_notify.alerts.domain import (
    MAX_RADIUS_M,
    DigestItem,
    NewReport,
    RoutedPart,
    SubmittedPart,
    Subscription,
    new_report,
)
from stadtmelder_reports.alerts.domain import AlertLinkInvalid
from stadtmelder_reports.alerts.domain import Subscription as ReportsSubscription
from stadtmelder_shared.alert_areas import AlertStatus
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.geo import degree_box

# --- reports ------------------------------------------------------------------------------------


class InMemoryAlertStore:
    def __init__(self) -> None:
        self.subscriptions: dict[str, ReportsSubscription] = {}

    async def add(self, subscription: ReportsSubscription) -> None:
        self.subscriptions[subscription.id] = _copy(subscription)

    async def by_id(self, subscription_id: str) -> ReportsSubscription | None:
        subscription = self.subscriptions.get(subscription_id)
        return None if subscription is None else _copy(subscription)

    async def by_token_hash(self, token_hash: str) -> ReportsSubscription:
        for subscription in self.subscriptions.values():
            if subscription.token_hash == token_hash:
                return _copy(subscription)
        raise AlertLinkInvalid()

    async def change_status(
        self, subscription_id: str, before: AlertStatus, after: AlertStatus, event: Event
    ) -> bool:
        subscription = self.subscriptions[subscription_id]
        if subscription.status != before:
            return False
        confirmed = after == "confirmed"
        self.subscriptions[subscription_id] = replace(
            subscription,
            status=after,
            confirmed_at=event.occurred_at if confirmed else subscription.confirmed_at,
            cancelled_at=subscription.cancelled_at if confirmed else event.occurred_at,
            pending_events=[*subscription.pending_events, ("notify.area-alerts", event)],
            revision=subscription.revision + 1,
        )
        return True

    async def with_pending_events(self, limit: int) -> list[ReportsSubscription]:
        pending = [s for s in self.subscriptions.values() if s.pending_events][:limit]
        return [_copy(s) for s in pending]

    async def mark_published(self, subscription_id: str, event_ids: Sequence[str]) -> None:
        published = set(event_ids)
        subscription = self.subscriptions[subscription_id]
        self.subscriptions[subscription_id] = replace(
            subscription,
            pending_events=[
                (topic, event)
                for topic, event in subscription.pending_events
                if event.event_id not in published
            ],
            revision=subscription.revision + 1,
        )


def _copy(subscription: ReportsSubscription) -> ReportsSubscription:
    return replace(subscription, pending_events=list(subscription.pending_events))


# --- notify -------------------------------------------------------------------------------------


class InMemorySubscriptionStore:
    def __init__(self) -> None:
        self.subscriptions: dict[str, Subscription] = {}

    async def add(self, subscription: Subscription) -> Subscription:
        return self.subscriptions.setdefault(subscription.id, subscription)

    async def get(self, subscription_id: str) -> Subscription | None:
        return self.subscriptions.get(subscription_id)

    async def save_confirmed(self, subscription: Subscription) -> None:
        stored = self.subscriptions.get(subscription.id)
        if stored is not None and stored.status == "requested":
            self.subscriptions[subscription.id] = replace(
                stored, status="confirmed", confirmed_at=subscription.confirmed_at
            )

    async def cancel(self, subscription_id: str, at: datetime) -> None:
        stored = self.subscriptions.get(subscription_id)
        if stored is not None:
            self.subscriptions[subscription_id] = replace(
                stored, status="cancelled", email=None, token=None
            )

    async def candidates(
        self, jurisdiction: str, category: str, district: str | None, near: Location
    ) -> list[Subscription]:
        min_lon, min_lat, max_lon, max_lat = degree_box(near, MAX_RADIUS_M)

        def may_concern(s: Subscription) -> bool:
            centre = s.area.centre
            close = centre is not None and (
                min_lat <= centre.lat <= max_lat and min_lon <= centre.lon <= max_lon
            )
            in_district = district is not None and s.area.district == district
            return (
                s.status == "confirmed"
                and s.jurisdiction == jurisdiction
                and (s.category is None or s.category.code == category)
                and (close or in_district)
            )

        return sorted(
            (s for s in self.subscriptions.values() if may_concern(s)), key=lambda s: s.id
        )

    async def forget_unconfirmed(self, requested_before: datetime) -> int:
        old = [
            s.id
            for s in self.subscriptions.values()
            if s.status == "requested" and s.requested_at < requested_before
        ]
        for subscription_id in old:
            del self.subscriptions[subscription_id]
        return len(old)


class InMemoryNewReportStore:
    def __init__(self) -> None:
        self.whole: dict[str, NewReport] = {}
        # Parts of a report as an older notify stored them, for an older routing's events.
        self.submitted: dict[str, SubmittedPart] = {}
        self.routed: dict[str, RoutedPart] = {}

    async def add(self, report: NewReport) -> None:
        self.whole.setdefault(report.id, report)

    async def add_routed(self, part: RoutedPart) -> None:
        self.routed.setdefault(part.report_id, part)

    async def complete(self, report_id: str) -> NewReport | None:
        if report_id in self.submitted and report_id in self.routed:
            return new_report(self.submitted[report_id], self.routed[report_id])
        return None

    async def routed_since(self, at: datetime) -> list[NewReport]:
        return [r for r in self.whole.values() if r.routed_at >= at] + [
            new_report(self.submitted[report_id], routed)
            for report_id, routed in self.routed.items()
            if routed.routed_at >= at and report_id in self.submitted
        ]

    async def forget_before(self, at: datetime) -> int:
        old_whole = [k for k, r in self.whole.items() if r.routed_at < at]
        old_submitted = [k for k, p in self.submitted.items() if p.submitted_at < at]
        old_routed = [k for k, p in self.routed.items() if p.routed_at < at]
        for key in old_whole:
            del self.whole[key]
        for key in old_submitted:
            del self.submitted[key]
        for key in old_routed:
            del self.routed[key]
        return len(old_whole) + len(old_submitted) + len(old_routed)


class InMemoryDigestQueue:
    def __init__(self) -> None:
        self.items: dict[tuple[str, str], DigestItem] = {}

    async def add(self, item: DigestItem) -> None:
        self.items.setdefault((item.subscription_id, item.report.id), item)

    async def due(self, before: date, limit: int) -> list[DigestItem]:
        found = sorted(
            (i for i in self.items.values() if i.day < before),
            key=lambda i: (i.day, i.subscription_id),
        )
        return found[:limit]

    async def remove(self, subscription_id: str, day: date) -> None:
        for key, item in list(self.items.items()):
            if item.subscription_id == subscription_id and item.day == day:
                del self.items[key]

    async def forget(self, subscription_id: str) -> None:
        for key, item in list(self.items.items()):
            if item.subscription_id == subscription_id:
                del self.items[key]
