"""Area alerts: subscribe to new reports in an area, confirm and cancel by the mailed links.

The composition root takes the routes and the `alerts` dependency from `register(...)` and
calls `AlertsFeature.start(...)` in its lifespan once MongoDB and Kafka are there."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from litestar.di import Provide
from litestar.types import ControllerRouterHandler
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.alerts.api import AlertsController
from stadtmelder_reports.alerts.domain import District
from stadtmelder_reports.alerts.service import AlertService
from stadtmelder_reports.alerts.store import AlertOutbox, MongoAlertStore, load_districts
from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.outbox import OutboxRelay
from stadtmelder_shared.data_keys import DataKeys
from stadtmelder_shared.kafka import EventPublisher


class AlertsFeature:
    """The alerts' service, there once `start` ran (or given, in tests)."""

    def __init__(self, service: AlertService | None = None) -> None:
        self._service = service

    def service(self) -> AlertService:
        if self._service is None:
            raise RuntimeError("area alerts were used before the app started them")
        return self._service

    async def start(
        self,
        database: AsyncDatabase[dict[str, Any]],
        jurisdiction: Jurisdiction,
        publisher: EventPublisher,
        poll_seconds: float,
        data_keys: DataKeys,
        districts: Sequence[District] | None = None,
    ) -> OutboxRelay:
        """The lifespan part: the store and its indexes, the service, and the relay of its
        outbox, which the caller runs while Kafka is up."""
        store = MongoAlertStore(database)
        await store.ensure_indexes()
        relay = OutboxRelay(AlertOutbox(store), publisher, poll_seconds)
        self._service = AlertService(
            store,
            jurisdiction,
            load_districts() if districts is None else tuple(districts),
            on_events_pending=relay.wake,
            data_keys=data_keys,
        )
        return relay


@dataclass(frozen=True)
class Registration:
    """What a feature adds to the app: its routes and the dependencies they need."""

    route_handlers: Sequence[ControllerRouterHandler]
    dependencies: Mapping[str, Provide]


def register(alerts: AlertsFeature) -> Registration:
    """The alerts' routes and their dependency `alerts` (the AlertService) for the app."""
    return Registration(
        route_handlers=[AlertsController],
        dependencies={"alerts": Provide(alerts.service, sync_to_thread=False)},
    )
