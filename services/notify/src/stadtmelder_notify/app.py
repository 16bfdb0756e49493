"""The notify service: `create_app(settings)` wires FastStream, MongoDB, SMTP and health probes."""

import logging
from datetime import timedelta

from faststream.asgi import AsgiFastStream

from stadtmelder_notify.handlers import register_handlers
from stadtmelder_notify.mailer import SmtpMailer
from stadtmelder_notify.repository import MongoDeliveryLog, MongoFollowerStore, connect
from stadtmelder_notify.service import NotifyService
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_shared.health import connection_checks, health_routes
from stadtmelder_shared.kafka import KafkaEventPublisher, connect_when_reachable, make_broker

SOURCE = "/stadtmelder/notify"


def create_app(settings: NotifySettings) -> AsgiFastStream:
    """Clients are created here but connect lazily: in the app's startup, not at import."""
    broker = make_broker(settings.kafka_bootstrap_servers, client_id="stadtmelder-notify")
    mongo = connect(settings.mongodb_url)
    followers = MongoFollowerStore(mongo[settings.mongodb_database])
    mailer = SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
        starttls=settings.smtp_starttls,
    )
    service = NotifyService(
        MongoDeliveryLog(mongo[settings.mongodb_database]),
        followers,
        mailer,
        KafkaEventPublisher(broker, SOURCE),
        settings.public_base_url,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        staff_url_template=settings.staff_url_template,
    )
    register_handlers(broker, service, settings.kafka_group_id)

    async def start() -> None:
        # Without this, FastStream reports startup complete and the broker fails behind it.
        await connect_when_reachable(broker, settings)
        await followers.ensure_indexes()

    async def close() -> None:
        await mongo.close()

    return AsgiFastStream(
        broker,
        asgi_routes=health_routes(connection_checks(mongo, broker)),
        on_startup=[start],
        after_shutdown=[close],
        logger=logging.getLogger("stadtmelder.app"),
    )
