"""Wires the works register into the reports service: its store, its use cases in the app state
(`works_register`) and the relay that announces changed works on `works.changed`."""

from typing import Any

from litestar.datastructures import State
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.core.outbox import OutboxRelay
from stadtmelder_reports.works.api import WorksApi
from stadtmelder_reports.works.service import WorksRegister
from stadtmelder_reports.works.store import MongoWorksStore, WorksOutbox
from stadtmelder_shared.kafka import EventPublisher

ROUTE_HANDLERS = [WorksApi]


def register(
    state: State,
    database: AsyncDatabase[dict[str, Any]],
    publisher: EventPublisher,
    jurisdiction: str,
    poll_seconds: float,
) -> OutboxRelay:
    """The relay is returned for the caller to run while Kafka is up, as the other outboxes'."""
    store = MongoWorksStore(database)
    relay = OutboxRelay(WorksOutbox(store, jurisdiction), publisher, poll_seconds)
    state.works_register = WorksRegister(store, on_changed=relay.wake)
    return relay
