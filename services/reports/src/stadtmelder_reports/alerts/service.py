"""Area alert use cases: request an alert, and confirm or cancel it by its link (applied by the
subscription's one writer, the owner of its partition, when `commands` are given)."""

from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass
from datetime import datetime, timedelta
from typing import Literal

from stadtmelder_reports.alerts.domain import (
    AlertLinkInvalid,
    AlertRequest,
    District,
    Subscription,
    cancelled,
    check_request,
    confirmed,
    new_alert_token,
    new_subscription,
    new_subscription_id,
)
from stadtmelder_reports.alerts.store import AlertStore
from stadtmelder_reports.commands.domain import AlertStep, ReportCommandRequested
from stadtmelder_reports.commands.service import Commands
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
    # Where a link's step goes to be applied by the subscription's owner; None: here.
    commands: Commands | None = None
    # A new subscription's id: with several replicas, one of a partition this replica owns.
    new_id: Callable[[], str] = new_subscription_id

    def district(self, district_id: str) -> District | None:
        return next((d for d in self.districts if d.id == district_id), None)

    async def request_alert(self, request: AlertRequest) -> None:
        """Store the request and ask notify for the confirmation mail; the same for every
        address, so the answer never tells whether it is subscribed already."""
        area = check_request(request, self.jurisdiction, self.districts)
        subscription_id = self.new_id()
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
        return await self._link_step(token, "confirm")

    async def cancel(self, token: str) -> Subscription:
        return await self._link_step(token, "cancel")

    async def apply_command(self, command: ReportCommandRequested) -> bool:
        """The owner's side of `confirm` and `cancel`: True if the status changed now."""
        action = command.action
        if not isinstance(action, AlertStep):
            raise TypeError(f"{action.kind} is no alert step")
        subscription = await self.store.by_id(command.report_id)
        if subscription is None:
            raise AlertLinkInvalid()
        return await self._step_here(subscription, action.step)

    async def _link_step(self, token: str, step: Literal["confirm", "cancel"]) -> Subscription:
        subscription = await self.by_token(token)
        if self.commands is None:
            await self._step_here(subscription, step)
            return await self.by_token(token)
        await self.commands.run(
            ReportCommandRequested(
                report_id=subscription.id,
                jurisdiction=subscription.jurisdiction,
                action=AlertStep(step=step),
            )
        )
        return await self.by_token(token)

    async def _step_here(
        self, subscription: Subscription, step: Literal["confirm", "cancel"]
    ) -> bool:
        """Take `step`; False if it changed nothing (taken before)."""
        if step == "confirm":
            return await self._change(
                subscription, "confirmed", lambda s: confirmed(s, self.clock(), self.confirm_within)
            )
        changed = await self._change(
            subscription, "cancelled", lambda s: cancelled(s, self.clock())
        )
        # Cancelling erases the address from the event log too: its sealed copies (the request)
        # never open again, even when replayed (docs/personal-data.md). Again on a repeat: a
        # crash between the step and this leaves nothing readable behind.
        await self.data_keys.destroy(alert_key_id(subscription.id))
        return changed

    async def _change(
        self,
        subscription: Subscription,
        after: AlertStatus,
        decide: Callable[[Subscription], Event | None],
    ) -> bool:
        # A status only moves forward (requested, confirmed, cancelled), so when another click
        # changed it meanwhile, deciding once more on the new state always settles it.
        for _ in range(3):
            event = decide(subscription)
            if event is None:
                return False
            if await self.store.change_status(subscription.id, subscription.status, after, event):
                self.on_events_pending(subscription.id)
                return True
            found = await self.store.by_id(subscription.id)
            if found is None:
                raise AlertLinkInvalid()
            subscription = found
        raise RuntimeError("an alert's status kept changing while it was being changed")
