"""The notify service: `create_app(settings)` is the composition root, where each feature
registers its consumers and its start and stop hooks on one broker, database and metrics."""

import asyncio
import contextlib
import logging
from datetime import UTC, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from faststream.asgi import AsgiFastStream

from stadtmelder_notify.alerts import wiring as alerts
from stadtmelder_notify.channel_store import MongoChannelStore
from stadtmelder_notify.delivery import wiring as delivery
from stadtmelder_notify.delivery.domain import DeliveryPolicy
from stadtmelder_notify.delivery.repository import connect
from stadtmelder_notify.followers import MongoFollowerStore
from stadtmelder_notify.handlers import register_handlers
from stadtmelder_notify.lifecycle import Lifecycle
from stadtmelder_notify.links import MailLinks
from stadtmelder_notify.service import NotifyService
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_shared.health import connection_checks, health_routes
from stadtmelder_shared.kafka import connect_when_reachable, make_broker
from stadtmelder_shared.logs import LogContextMiddleware
from stadtmelder_shared.metrics import ServiceMetrics, metrics_route
from stadtmelder_shared.tracing import kafka_middleware as tracing_middleware

SOURCE = "/stadtmelder/notify"
log = logging.getLogger(__name__)


def create_app(settings: NotifySettings) -> AsgiFastStream:
    """Clients are created here but connect lazily: in the app's startup, not at import."""
    metrics = ServiceMetrics("notify")
    broker = make_broker(
        settings.kafka_bootstrap_servers,
        client_id="stadtmelder-notify",
        middlewares=(tracing_middleware(), metrics.kafka_middleware(), LogContextMiddleware),
    )
    mongo = connect(settings.mongodb_url)
    database = mongo[settings.mongodb_database]
    lifecycle = Lifecycle()

    async def connect_broker() -> None:
        # Without this, FastStream reports startup complete and the broker fails behind it.
        await connect_when_reachable(broker, settings)

    lifecycle.on_startup.append(connect_broker)
    outlets = delivery.register(lifecycle, broker, settings, database, metrics, SOURCE)
    followers = MongoFollowerStore(database)
    channel_store = MongoChannelStore(database)
    service = NotifyService(
        outlets.deliveries,
        followers,
        outlets.mailer,
        outlets.publisher,
        MailLinks(settings.public_base_url, settings.link_secret.get_secret_value().encode()),
        outlets.dead_letters,
        DeliveryPolicy(
            mails_per_window=settings.mails_per_recipient_per_hour,
            max_failures=settings.delivery_max_failures,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
        ),
        staff_url_template=settings.staff_url_template,
        zone=_zone(settings.time_zone),
        channels=channel_store,
        webhooks=outlets.webhooks,
        push=outlets.push,
    )
    register_handlers(broker, service, settings.kafka_group_id)
    background: set[asyncio.Task[None]] = set()

    async def start() -> None:
        await followers.ensure_indexes()
        await channel_store.ensure_indexes()

    async def send_deferred() -> None:
        while True:
            try:
                await service.send_deferred()
            except Exception:
                log.exception("sending deferred mails failed; trying again at the next interval")
            await asyncio.sleep(settings.deferred_poll_seconds)

    async def start_timers() -> None:
        background.add(asyncio.create_task(send_deferred(), name="deferred-mails"))

    async def stop_timers() -> None:
        for task in background:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    lifecycle.on_startup.append(start)
    lifecycle.after_startup.append(start_timers)
    lifecycle.on_shutdown.append(stop_timers)
    alerts.register(
        lifecycle,
        broker,
        settings,
        database,
        outlets.mailer,
        outlets.dead_letters,
        outlets.deliveries,
    )
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


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        # An image without time zone data: dates in UTC are off by at most a few hours.
        log.warning("time zone %s unknown here; dates in mails are given in UTC", name)
        return UTC
