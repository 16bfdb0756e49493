"""The notify service: `create_app(settings)` wires FastStream, MongoDB, SMTP and health probes."""

import asyncio
import contextlib
import logging
from datetime import UTC, timedelta, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from faststream.asgi import AsgiFastStream

from stadtmelder_notify.alerts import wiring as alerts
from stadtmelder_notify.channels import create_channels
from stadtmelder_notify.dead_letters import KafkaDeadLetters
from stadtmelder_notify.delivery import DeliveryPolicy
from stadtmelder_notify.followers import MongoFollowerStore
from stadtmelder_notify.handlers import register_handlers
from stadtmelder_notify.lifecycle import Lifecycle
from stadtmelder_notify.links import MailLinks
from stadtmelder_notify.mailer import Mailer, SmtpMailer
from stadtmelder_notify.repository import MongoDeliveryLog, connect
from stadtmelder_notify.sent_journal import SentJournal
from stadtmelder_notify.service import NotifyService
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_shared.health import connection_checks, health_routes
from stadtmelder_shared.kafka import KafkaEventPublisher, connect_when_reachable, make_broker
from stadtmelder_shared.logs import LogContextMiddleware
from stadtmelder_shared.metrics import CountedSends, ServiceMetrics, metrics_route
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
    followers = MongoFollowerStore(database)
    journal = SentJournal(settings.sent_journal_dir)
    deliveries = MongoDeliveryLog(database, journal=journal)
    smtp = SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        starttls=settings.smtp_starttls,
    )
    mailer: Mailer = CountedSends(smtp, metrics.notifications, channel="email")
    channels = create_channels(settings, database)
    service = NotifyService(
        deliveries,
        followers,
        mailer,
        KafkaEventPublisher(broker, SOURCE),
        MailLinks(settings.public_base_url, settings.link_secret.get_secret_value().encode()),
        KafkaDeadLetters(broker, SOURCE),
        DeliveryPolicy(
            mails_per_window=settings.mails_per_recipient_per_hour,
            max_failures=settings.delivery_max_failures,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
        ),
        staff_url_template=settings.staff_url_template,
        zone=_zone(settings.time_zone),
        channels=channels.store,
        webhooks=CountedSends(channels.webhooks, metrics.notifications, channel="webhook"),
        push=CountedSends(channels.push, metrics.notifications, channel="web_push"),
    )
    register_handlers(broker, service, settings.kafka_group_id)
    lifecycle = Lifecycle()
    alerts.register(
        lifecycle, broker, settings, database, mailer, KafkaDeadLetters(broker, SOURCE), deliveries
    )
    background: set[asyncio.Task[None]] = set()
    metrics.watch_consumer_lag(broker)

    async def start() -> None:
        # Without this, FastStream reports startup complete and the broker fails behind it.
        await connect_when_reachable(broker, settings)
        await followers.ensure_indexes()
        await deliveries.ensure_indexes()
        # Before any event is consumed: what a killed process sent is marked sent first.
        journal.open()
        await journal.replay(deliveries.record_sent)
        await channels.start()

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

    async def close() -> None:
        await smtp.close()
        journal.close()
        await channels.close()
        await mongo.close()

    return AsgiFastStream(
        broker,
        asgi_routes=[*health_routes(connection_checks(mongo, broker)), metrics_route(metrics)],
        on_startup=[start, *lifecycle.on_startup],
        after_startup=[start_timers, *lifecycle.after_startup],
        on_shutdown=[*lifecycle.on_shutdown, stop_timers],
        after_shutdown=[close],
        logger=logging.getLogger("stadtmelder.app"),
    )


def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        # An image without time zone data: dates in UTC are off by at most a few hours.
        log.warning("time zone %s unknown here; dates in mails are given in UTC", name)
        return UTC
