"""Delivery wired into the app: the mailer, the channels beside mail, the delivery log with its
journal, and the topics it announces on, each counted in the metrics."""

from dataclasses import dataclass
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_notify.delivery.channels import create_channels
from stadtmelder_notify.delivery.dead_letters import KafkaDeadLetters
from stadtmelder_notify.delivery.mailer import Mailer, SmtpMailer
from stadtmelder_notify.delivery.repository import MongoDeliveryLog
from stadtmelder_notify.delivery.send_times import FLUSH_S
from stadtmelder_notify.delivery.senders import PushSender, WebhookSender
from stadtmelder_notify.delivery.sent_journal import SentJournal
from stadtmelder_notify.lifecycle import Lifecycle
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_shared.kafka import KafkaEventPublisher
from stadtmelder_shared.metrics import CountedSends, ServiceMetrics
from stadtmelder_shared.timers import Timers


@dataclass(frozen=True)
class Outlets:
    """What the features send through."""

    mailer: Mailer
    webhooks: WebhookSender
    push: PushSender
    deliveries: MongoDeliveryLog
    publisher: KafkaEventPublisher
    dead_letters: KafkaDeadLetters


def register(
    lifecycle: Lifecycle,
    broker: KafkaBroker,
    settings: NotifySettings,
    database: AsyncDatabase[Any],
    metrics: ServiceMetrics,
    source: str,
) -> Outlets:
    journal = SentJournal(settings.sent_journal_dir)
    deliveries = MongoDeliveryLog(database, journal=journal)
    smtp = SmtpMailer(
        settings.smtp_host,
        settings.smtp_port,
        settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password_value,
        starttls=settings.smtp_starttls,
    )
    channels = create_channels(settings)
    timers = Timers()
    timers.every(FLUSH_S, "sent-marks", deliveries.flush)

    async def start() -> None:
        await deliveries.ensure_indexes()
        # Before any event is consumed: what a killed process sent is marked sent first.
        journal.open()
        await journal.replay(deliveries.record_sent)

    async def close() -> None:
        # The consumers have stopped: the last marks and send times go before the database
        # closes.
        await deliveries.flush()
        await smtp.close()
        journal.close()
        await channels.close()

    lifecycle.on_startup.append(start)
    lifecycle.after_startup.append(timers.start)
    lifecycle.on_shutdown.append(timers.stop)
    lifecycle.after_shutdown.append(close)
    return Outlets(
        mailer=CountedSends(smtp, metrics.notifications, channel="email"),
        webhooks=CountedSends(channels.webhooks, metrics.notifications, channel="webhook"),
        push=CountedSends(channels.push, metrics.notifications, channel="web_push"),
        deliveries=deliveries,
        publisher=KafkaEventPublisher(broker, source),
        dead_letters=KafkaDeadLetters(broker, source),
    )
