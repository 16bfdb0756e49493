"""Area alerts: subscribe to new reports in an area, confirm and cancel by the mailed links.

The composition root takes the routes and the `alerts` dependency from `register(...)` and
calls `AlertsFeature.start(...)` in its lifespan once MongoDB and Kafka are there."""

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from litestar.di import Provide
from litestar.types import ControllerRouterHandler
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.alerts.api import AlertsController
from stadtmelder_reports.alerts.domain import District, new_subscription_id
from stadtmelder_reports.alerts.service import AlertService
from stadtmelder_reports.alerts.store import AlertOutbox, MongoAlertStore, load_districts
from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.domain import new_owned_report_id
from stadtmelder_reports.core.outbox import OutboxRelay
from stadtmelder_shared.data_keys import DataKeys
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.keyed_locks import KeyedLocks
from stadtmelder_shared.partition_owner import PartitionOwnership


class AlertsFeature:
    """The alerts' service, there once `start` ran (or given, in tests)."""

    def __init__(self, service: AlertService | None = None) -> None:
        self._service = service
        # One lock per subscription for every writer of subscriptions in this process (the
        # erasure's store too): the owner's commands and its relay write the same documents.
        self.locks = KeyedLocks()

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
        commands: Commands | None = None,
        ownership: PartitionOwnership | None = None,
    ) -> OutboxRelay:
        """The lifespan part: the store and its indexes, the service, and the relay of its
        outbox, which the caller runs while Kafka is up. With `commands` and `ownership` (the
        report owner group's), a subscription is written only by the replica that owns its id's
        partition, as a report is (docs/scale-out.md): the links' steps travel there as
        commands, and the relay marks sent only the events of subscriptions this replica owns."""
        store = MongoAlertStore(database, self.locks)
        await store.ensure_indexes()
        relay = OutboxRelay(AlertOutbox(store), publisher, poll_seconds, ownership)
        self._service = AlertService(
            store,
            jurisdiction,
            load_districts() if districts is None else tuple(districts),
            on_events_pending=relay.wake,
            data_keys=data_keys,
            commands=commands,
            new_id=new_subscription_id if ownership is None else owned_ids(ownership),
        )
        if commands is not None:
            commands.applies("alert-step", self._service.apply_command)
        return relay


def owned_ids(ownership: PartitionOwnership) -> Callable[[], str]:
    """New subscription ids of partitions this replica owns, so it writes them from the start."""
    return partial(new_owned_report_id, ownership.owns, new_subscription_id)


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
