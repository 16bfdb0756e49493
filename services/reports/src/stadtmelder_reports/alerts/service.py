"""Area alert use cases: request an alert, and confirm or cancel it by its link."""

import uuid
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, replace
from datetime import datetime, timedelta

from stadtmelder_reports.alerts.domain import (
    AlertRequest,
    District,
    Subscription,
    cancelled,
    check_request,
    confirmed,
    new_alert_token,
    new_subscription,
)
from stadtmelder_reports.alerts.store import AlertStore
from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.domain import token_hash
from stadtmelder_shared.alert_areas import CONFIRM_WITHIN, AlertStatus
from stadtmelder_shared.clock import utc_now
from stadtmelder_shared.data_keys import DataKeys, alert_key_id
from stadtmelder_shared.event_envelope import Event


@dataclass(frozen=True)
class AlertService:
    store: AlertStore
    jurisdiction: Jurisdiction
    districts: tuple[District, ...]
    on_events_pending: Callable[[str], None] = lambda _: None
    clock: Callable[[], datetime] = utc_now
    confirm_within: timedelta = CONFIRM_WITHIN
    _: KW_ONLY
    data_keys: DataKeys

    def district(self, district_id: str) -> District | None:
        return next((d for d in self.districts if d.id == district_id), None)

    async def request_alert(self, request: AlertRequest) -> None:
        """Store the request and ask notify for the confirmation mail; the same for every
        address, so the answer never tells whether it is subscribed already."""
        area = check_request(request, self.jurisdiction, self.districts)
        subscription_id = f"alert-{uuid.uuid4().hex}"
        subscription = new_subscription(
            request,
            area,
            self.jurisdiction,
            self.clock(),
            subscription_id,
            new_alert_token(),
            # Made before the subscription is stored, so notify can open its event.
            await self.data_keys.create(alert_key_id(subscription_id)),
        )
        await self.store.add(subscription)
        self.on_events_pending(subscription.id)

    async def by_token(self, token: str) -> Subscription:
        return await self.store.by_token_hash(token_hash(token))

    async def to_confirm(self, token: str) -> Subscription:
        """What the confirmation link would confirm; refused like confirming would be."""
        subscription = await self.by_token(token)
        confirmed(subscription, self.clock(), self.confirm_within)
        return subscription

    async def confirm(self, token: str) -> Subscription:
        return await self._step(
            token, "confirmed", lambda s: confirmed(s, self.clock(), self.confirm_within)
        )

    async def cancel(self, token: str) -> Subscription:
        subscription = await self._step(token, "cancelled", lambda s: cancelled(s, self.clock()))
        # Cancelling erases the address from the event log too: its sealed copies (the request)
        # never open again, even when replayed (docs/personal-data.md).
        await self.data_keys.destroy(alert_key_id(subscription.id))
        return subscription

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
            if await self.store.change_status(subscription.id, subscription.status, after, event):
                self.on_events_pending(subscription.id)
                return replace(subscription, status=after, pending_events=[])
        raise RuntimeError("an alert's status kept changing while it was being changed")
