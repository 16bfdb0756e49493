"""The routing service: `create_app(settings)` wires FastStream, MongoDB, rules and timers."""

import asyncio
import contextlib
import logging

from faststream.asgi import AsgiFastStream

from stadtmelder_routing.areas_store import load_areas, load_assets
from stadtmelder_routing.assets import AssetRegistry
from stadtmelder_routing.handlers import register_handlers
from stadtmelder_routing.repository import MongoRoutingLog, connect
from stadtmelder_routing.responsibility import DEFAULT_DIRECTORY, load_model
from stadtmelder_routing.service import KafkaWorkDispatcher, RoutingService
from stadtmelder_routing.settings import RoutingSettings
from stadtmelder_routing.sla import OverdueWatch
from stadtmelder_routing.work_items import MongoWorkItems
from stadtmelder_shared.departments import DEFAULT_FILE, load_directory
from stadtmelder_shared.health import connection_checks, health_routes
from stadtmelder_shared.kafka import KafkaEventPublisher, connect_when_reachable, make_broker

SOURCE = "/stadtmelder/routing"
log = logging.getLogger(__name__)


def create_app(settings: RoutingSettings) -> AsgiFastStream:
    """Clients are created here but connect lazily: in the app's startup, not at import."""
    broker = make_broker(settings.kafka_bootstrap_servers, client_id="stadtmelder-routing")
    mongo = connect(settings.mongodb_url)
    database = mongo[settings.mongodb_database]
    directory = load_directory(settings.departments_file or DEFAULT_FILE)
    rules_dir = settings.responsibility_dir or DEFAULT_DIRECTORY
    publisher = KafkaEventPublisher(broker, SOURCE)
    work_items = MongoWorkItems(database)
    service = RoutingService(
        MongoRoutingLog(database),
        work_items,
        load_model(rules_dir, departments=directory),
        AssetRegistry(()),
        directory,
        publisher,
        KafkaWorkDispatcher(publisher),
        duplicate_radius_m=settings.duplicate_radius_m,
    )
    register_handlers(broker, service, settings.kafka_group_id)
    watch = OverdueWatch(
        work_items, directory, publisher, settings.jurisdiction, settings.sla_check_seconds
    )
    background: set[asyncio.Task[None]] = set()

    async def start() -> None:
        # Without this, FastStream reports startup complete and the broker fails behind it.
        await connect_when_reachable(broker, settings)
        await work_items.ensure_indexes()
        imported = await load_areas(database)
        assets = AssetRegistry(await load_assets(database))
        if imported is not None or len(assets):
            service.use(load_model(rules_dir, areas=imported, departments=directory), assets)
            log.info("using %d imported areas and %d assets", len(imported or ()), len(assets))

    async def start_timers() -> None:
        background.add(asyncio.create_task(watch.run(), name="overdue-watch"))

    async def stop_timers() -> None:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def close() -> None:
        await mongo.close()

    return AsgiFastStream(
        broker,
        asgi_routes=health_routes(connection_checks(mongo, broker)),
        on_startup=[start],
        after_startup=[start_timers],
        on_shutdown=[stop_timers],
        after_shutdown=[close],
        logger=logging.getLogger("stadtmelder.app"),
    )
