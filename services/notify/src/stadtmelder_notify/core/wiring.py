"""Report-follower notifications wired into the app: the service on notify's stores and outlets,
its Kafka consumers, and the timer that sends what rate limits kept back."""

from datetime import timedelta
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_notify.alerts.digest_store import MongoDigestQueue
from stadtmelder_notify.alerts.store import MongoSubscriptionStore
from stadtmelder_notify.core.choices import FollowerChoices
from stadtmelder_notify.core.confirmed_marks import FLUSH_S as CONFIRMED_FLUSH_S
from stadtmelder_notify.core.erasure import (
    ForgettableKeys,
    MongoWaitingMails,
    NotifyErasure,
    register_erasure,
)
from stadtmelder_notify.core.handlers import register_handlers
from stadtmelder_notify.core.service import NotifyService
from stadtmelder_notify.core.store import MongoChannelStore, MongoFollowerStore
from stadtmelder_notify.delivery.domain import DeliveryPolicy
from stadtmelder_notify.delivery.wiring import Outlets
from stadtmelder_notify.lifecycle import Lifecycle
from stadtmelder_notify.links import MailLinks
from stadtmelder_notify.settings import NotifySettings, local_zone
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.leadership import KafkaLeadership
from stadtmelder_shared.partition_owner import Reassigned
from stadtmelder_shared.timers import Timers


def register(
    lifecycle: Lifecycle,
    broker: KafkaBroker,
    settings: NotifySettings,
    database: AsyncDatabase[Any],
    outlets: Outlets,
    contacts: Contacts,
    keys: ForgettableKeys | None = None,
) -> NotifyService:
    links = MailLinks(settings.public_base_url, settings.link_secret.get_secret_value().encode())
    followers = MongoFollowerStore(database, links.recipient_keys)
    channels = MongoChannelStore(database)
    service = NotifyService(
        outlets.deliveries,
        followers,
        outlets.mailer,
        outlets.publisher,
        links,
        outlets.dead_letters,
        DeliveryPolicy(
            mails_per_window=settings.mails_per_recipient_per_hour,
            max_failures=settings.delivery_max_failures,
            lease=timedelta(seconds=settings.delivery_lease_seconds),
        ),
        staff_url_template=settings.staff_url_template,
        zone=local_zone(settings.time_zone),
        channels=channels,
        webhooks=outlets.webhooks,
        push=outlets.push,
        contacts=contacts,
    )
    choices = FollowerChoices(followers, channels)
    # A report's partition that moved away and back: what was kept of its followers is stale.
    forget = Reassigned(followers.forget_all, channels.forget_all)
    register_handlers(broker, service, choices, settings.kafka_group_id, forget)
    erasure = NotifyErasure(
        followers,
        channels,
        MongoWaitingMails(database, outlets.deliveries),
        MongoSubscriptionStore(database),
        MongoDigestQueue(database),
        keys,
    )
    register_erasure(broker, erasure, settings.kafka_group_id)
    timers = Timers()
    # Per process: each writes the confirmations it noted (see confirmed_marks).
    timers.every(CONFIRMED_FLUSH_S, "confirmed-marks", followers.flush)
    # Once across replicas (docs/scale-out.md): two takers of one deferred mail could both send.
    timers.every(
        settings.deferred_poll_seconds,
        "deferred-mails",
        service.send_deferred,
        once=KafkaLeadership(settings, "notify.deferred-mails"),
    )

    async def start() -> None:
        await followers.ensure_indexes()
        await channels.ensure_indexes()

    lifecycle.on_startup.append(start)
    lifecycle.after_startup.append(timers.start)
    lifecycle.on_shutdown.append(timers.stop)
    # The consumers have stopped: the last marks go before the database closes.
    lifecycle.after_shutdown.append(followers.flush)
    return service
