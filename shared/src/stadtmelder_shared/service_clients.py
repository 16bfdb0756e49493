"""The Kafka broker and the MongoDB client every service's composition root opens the same way."""

from typing import Any

from faststream.kafka import KafkaBroker
from pymongo import AsyncMongoClient

from stadtmelder_shared.database_commands import DatabaseCommands
from stadtmelder_shared.kafka import make_broker
from stadtmelder_shared.kafka_security import broker_security
from stadtmelder_shared.logs import LogContextMiddleware
from stadtmelder_shared.metrics import ServiceMetrics
from stadtmelder_shared.settings import ConnectionSettings
from stadtmelder_shared.tracing import kafka_middleware as tracing_middleware


def service_broker(
    service: str, settings: ConnectionSettings, metrics: ServiceMetrics
) -> KafkaBroker:
    """The service's broker, logged in as the settings say, each record traced, counted and
    logged with its report id."""
    return make_broker(
        settings.kafka_bootstrap_servers,
        client_id=f"stadtmelder-{service}",
        middlewares=(tracing_middleware(), metrics.kafka_middleware(), LogContextMiddleware),
        security=broker_security(settings),
    )


def connect_mongo(
    url: str, metrics: ServiceMetrics | None = None
) -> AsyncMongoClient[dict[str, Any]]:
    """Datetimes come back aware (UTC); an unreachable server fails a call within 5 s; with
    `metrics`, every command is counted in `stadtmelder_db_commands_total`."""
    listeners = [DatabaseCommands(metrics.registry)] if metrics else []
    return AsyncMongoClient(
        url, tz_aware=True, serverSelectionTimeoutMS=5000, event_listeners=listeners
    )
