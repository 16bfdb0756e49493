"""The fleet service: `create_app(settings)` opens the clients and lets each feature register."""

import logging
from datetime import timedelta

from faststream.asgi import AsgiFastStream

from stadtmelder_fleet import road
from stadtmelder_fleet.city import CityOutline, Clock
from stadtmelder_fleet.containers.register import register as register_containers
from stadtmelder_fleet.readings import ReadingChecks, rejection_counter
from stadtmelder_fleet.settings import FleetSettings
from stadtmelder_fleet.wiring import FleetContext
from stadtmelder_shared.clock import utc_now
from stadtmelder_shared.health import connection_checks, health_routes
from stadtmelder_shared.kafka import KafkaEventPublisher, connect_when_reachable
from stadtmelder_shared.metrics import ServiceMetrics, metrics_route
from stadtmelder_shared.service_clients import connect_mongo, service_broker
from stadtmelder_shared.timers import Timers

SOURCE = "/stadtmelder/fleet"


def create_app(settings: FleetSettings, clock: Clock = utc_now) -> AsgiFastStream:
    """Clients are created here but connect lazily: in the app's startup, not at import."""
    metrics = ServiceMetrics("fleet")
    broker = service_broker("fleet", settings, metrics)
    mongo = connect_mongo(settings.mongodb_url, metrics)
    context = FleetContext(
        settings=settings,
        broker=broker,
        database=mongo[settings.mongodb_database],
        publisher=KafkaEventPublisher(broker, SOURCE),
        metrics=metrics,
        timers=Timers(),
        checks=ReadingChecks(
            CityOutline.load(settings.areas_file),
            clock,
            timedelta(seconds=settings.future_tolerance_seconds),
            rejection_counter(metrics),
        ),
        clock=clock,
    )
    road.register(context)
    register_containers(context)
    metrics.watch_consumer_lag(broker)

    async def start() -> None:
        # Without this, FastStream reports startup complete and the broker fails behind it.
        await connect_when_reachable(broker, settings)
        for step in context.on_startup:
            await step()

    async def stop() -> None:
        await context.timers.stop()
        for step in context.on_shutdown:
            await step()

    async def close() -> None:
        await mongo.close()

    return AsgiFastStream(
        broker,
        asgi_routes=[
            *health_routes(connection_checks(mongo, broker)),
            *context.routes,
            metrics_route(metrics),
        ],
        on_startup=[start],
        after_startup=[context.timers.start],
        on_shutdown=[stop],
        after_shutdown=[close],
        logger=logging.getLogger("stadtmelder.app"),
    )
