"""The routing service: `create_app(settings)` wires FastStream, MongoDB and the health probes."""

import logging

from faststream.asgi import AsgiFastStream

from stadtmelder_routing.handlers import register_handlers
from stadtmelder_routing.repository import MongoRoutingLog, connect
from stadtmelder_routing.service import RoutingService
from stadtmelder_routing.settings import RoutingSettings
from stadtmelder_shared.health import connection_checks, health_routes
from stadtmelder_shared.kafka import KafkaEventPublisher, connect_when_reachable, make_broker

SOURCE = "/stadtmelder/routing"


def create_app(settings: RoutingSettings) -> AsgiFastStream:
    """Clients are created here but connect lazily: in the app's startup, not at import."""
    broker = make_broker(settings.kafka_bootstrap_servers, client_id="stadtmelder-routing")
    mongo = connect(settings.mongodb_url)
    routing_log = MongoRoutingLog(mongo[settings.mongodb_database])
    service = RoutingService(routing_log, KafkaEventPublisher(broker, SOURCE))
    register_handlers(broker, service, settings.kafka_group_id)

    async def start() -> None:
        # Without this, FastStream reports startup complete and the broker fails behind it.
        await connect_when_reachable(broker, settings)

    async def close() -> None:
        await mongo.close()

    return AsgiFastStream(
        broker,
        asgi_routes=health_routes(connection_checks(mongo, broker)),
        on_startup=[start],
        after_shutdown=[close],
        logger=logging.getLogger("stadtmelder.app"),
    )
