"""The notify service: `create_app(settings)` is the composition root, where each feature
registers its consumers and its start and stop hooks on one broker, database and metrics."""

import logging

from faststream.asgi import AsgiFastStream

from stadtmelder_notify.alerts import wiring as alerts
from stadtmelder_notify.core import wiring as core
from stadtmelder_notify.delivery import wiring as delivery
from stadtmelder_notify.lifecycle import Lifecycle
from stadtmelder_notify.remembered_keys import RememberedKeys
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.data_keys import mongo_data_keys
from stadtmelder_shared.health import connection_checks, health_routes
from stadtmelder_shared.kafka import connect_when_reachable
from stadtmelder_shared.metrics import ServiceMetrics, metrics_route
from stadtmelder_shared.service_clients import connect_mongo, service_broker

SOURCE = "/stadtmelder/notify"


def create_app(settings: NotifySettings) -> AsgiFastStream:
    """Clients are created here but connect lazily: in the app's startup, not at import."""
    metrics = ServiceMetrics("notify")
    broker = service_broker("notify", settings, metrics)
    mongo = connect_mongo(settings.mongodb_url, metrics)
    database = mongo[settings.mongodb_database]
    lifecycle = Lifecycle()

    async def connect_broker() -> None:
        # Without this, FastStream reports startup complete and the broker fails behind it.
        await connect_when_reachable(broker, settings)

    lifecycle.on_startup.append(connect_broker)
    outlets = delivery.register(lifecycle, broker, settings, database, metrics, SOURCE)
    # Opens the contact fields events carry sealed; its counter shows what erasure stopped.
    # The keys are remembered a few seconds, and forgotten at once when an erasure comes.
    keys = RememberedKeys(mongo_data_keys(mongo, settings.data_keys_database))
    contacts = Contacts(keys, metrics.registry)
    core.register(lifecycle, broker, settings, database, outlets, contacts, keys)
    alerts.register(lifecycle, broker, settings, database, outlets, contacts)
    metrics.watch_consumer_lag(broker)

    async def close_database() -> None:
        await mongo.close()

    lifecycle.after_shutdown.append(close_database)
    return AsgiFastStream(
        broker,
        asgi_routes=[*health_routes(connection_checks(mongo, broker)), metrics_route(metrics)],
        on_startup=lifecycle.on_startup,
        after_startup=lifecycle.after_startup,
        on_shutdown=lifecycle.on_shutdown,
        after_shutdown=lifecycle.after_shutdown,
        logger=logging.getLogger("stadtmelder.app"),
    )
