"""Area alerts wired into the app: the service on MongoDB, its consumers and its daily job."""

from datetime import time, timedelta
from pathlib import Path
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_notify.alerts.digest import DigestJob
from stadtmelder_notify.alerts.digest_store import MongoDigestQueue
from stadtmelder_notify.alerts.domain import load_districts
from stadtmelder_notify.alerts.handlers import register_alert_handlers
from stadtmelder_notify.alerts.service import AlertService
from stadtmelder_notify.alerts.store import MongoNewReportStore, MongoSubscriptionStore
from stadtmelder_notify.delivery.mailer import Mailer
from stadtmelder_notify.delivery.repository import MongoDeliveryLog
from stadtmelder_notify.delivery.service import DeadLetters
from stadtmelder_notify.delivery.wiring import Outlets
from stadtmelder_notify.lifecycle import Lifecycle
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.leadership import KafkaLeadership
from stadtmelder_shared.timers import Timers

Document = dict[str, Any]


def register(
    lifecycle: Lifecycle,
    broker: KafkaBroker,
    settings: NotifySettings,
    database: AsyncDatabase[Document],
    outlets: Outlets,
    contacts: Contacts,
) -> AlertService:
    """Consumers in their own group, so that alerts and the reporters' mails do not wait for
    each other; digests every few minutes once the consumers run."""
    alerts = create_alert_service(
        settings,
        database,
        outlets.mailer,
        outlets.dead_letters,
        contacts,
        deliveries=outlets.deliveries,
    )
    register_alert_handlers(broker, alerts, settings.alerts_group_id)
    timers = Timers()
    DigestJob(alerts).schedule(timers, KafkaLeadership(settings, "notify.area-alert-digests"))

    async def start() -> None:
        await ensure_alert_indexes(database)

    lifecycle.on_startup.append(start)
    lifecycle.after_startup.append(timers.start)
    lifecycle.on_shutdown.append(timers.stop)
    return alerts


def create_alert_service(
    settings: NotifySettings,
    database: AsyncDatabase[Document],
    mailer: Mailer,
    dead_letters: DeadLetters,
    contacts: Contacts,
    *,
    areas_file: Path | None = None,
    digest_at: time = time(7, 0),
    deliveries: MongoDeliveryLog | None = None,
) -> AlertService:
    """The service on notify's database, mailer and dead-letter topics; the districts from
    `areas_file`, else the routing service's defaults. `deliveries` shares the service's
    delivery log (and its journal)."""
    return AlertService(
        MongoSubscriptionStore(database),
        MongoNewReportStore(database),
        MongoDigestQueue(database),
        deliveries or MongoDeliveryLog(database),
        mailer,
        load_districts(areas_file),
        settings.public_base_url,
        lease=timedelta(seconds=settings.delivery_lease_seconds),
        timezone=settings.time_zone,
        digest_at=digest_at,
        dead_letters=dead_letters,
        max_failures=settings.delivery_max_failures,
        contacts=contacts,
    )


async def ensure_alert_indexes(database: AsyncDatabase[Document]) -> None:
    await MongoSubscriptionStore(database).ensure_indexes()
    await MongoNewReportStore(database).ensure_indexes()
    await MongoDigestQueue(database).ensure_indexes()
