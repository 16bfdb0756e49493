"""Area alerts end to end in one process, on the real Kafka, FerretDB and SMTP sink.

A small stand-in for the two services (until the alerts are wired into their apps): the
reports side's controller, store and relay, and notify's consumers with their stores, mailing
through the real SMTP sink. Reports and routing are played by publishing their events.
"""

import asyncio
import contextlib
import hashlib
import re
import socket
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
import uvicorn
from aiokafka import AIOKafkaConsumer, TopicPartition
from faststream.kafka import KafkaBroker
from litestar import Litestar
from litestar.di import Provide
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_notify.alerts.digest_store import MongoDigestQueue
from stadtmelder_notify.alerts.domain import load_districts as notify_districts
from stadtmelder_notify.alerts.handlers import register_alert_handlers
from stadtmelder_notify.alerts.service import AlertService as NotifyAlerts
from stadtmelder_notify.alerts.store import MongoNewReportStore, MongoSubscriptionStore
from stadtmelder_notify.alerts.wiring import ensure_alert_indexes
from stadtmelder_notify.delivery.mailer import SmtpMailer
from stadtmelder_notify.delivery.repository import MongoDeliveryLog
from stadtmelder_reports.alerts.api import AlertsController
from stadtmelder_reports.alerts.service import AlertService
from stadtmelder_reports.alerts.store import AlertOutbox, MongoAlertStore, load_districts
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.outbox import OutboxRelay
from stadtmelder_reports.core.repository import connect
from stadtmelder_reports.http.errors import EXCEPTION_HANDLERS
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_shared import topics
from stadtmelder_shared.contacts import Contacts, seal_person
from stadtmelder_shared.event_values import CategoryRef, DepartmentRef, Location, Reporter
from stadtmelder_shared.kafka import (
    KafkaEventPublisher,
    ensure_topics,
    group_for,
    make_broker,
    publish_event,
)
from stadtmelder_shared.report_events import ReportRouted, ReportSubmitted
from tests.conftest import LocalSystem
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import KOENIGSTRASSE
from tests.system import committed_offset, records_with_key, wait_until

pytestmark = pytest.mark.integration

BASE = "http://reports.alerts.test"
DUISBURG = load_jurisdiction()
ALERT_TOPICS = [topics.AREA_ALERTS, topics.REPORTS_SUBMITTED, topics.REPORTS_ROUTED]
NEARBY = Location(lat=KOENIGSTRASSE[0] + 0.001, lon=KOENIGSTRASSE[1])
HAMBORN = Location(lat=51.4900, lon=6.7700)


@dataclass
class Flow:
    system: LocalSystem
    client: Any
    broker: KafkaBroker
    store: MongoAlertStore
    group: str
    notify_db: AsyncDatabase[dict[str, Any]]
    mailer: SmtpMailer
    keys: InMemoryDataKeys

    def notify(self, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> NotifyAlerts:
        """notify's alert service on the flow's database, mailing to the SMTP sink."""
        return NotifyAlerts(
            MongoSubscriptionStore(self.notify_db),
            MongoNewReportStore(self.notify_db),
            MongoDigestQueue(self.notify_db),
            MongoDeliveryLog(self.notify_db),
            self.mailer,
            notify_districts(),
            BASE,
            clock=clock,
            contacts=Contacts(self.keys),
        )

    async def publish_report(
        self, location: Location, address: str | None = None, routed_at: datetime | None = None
    ) -> str:
        """What reports and routing would publish for a new report there."""
        category = DUISBURG.category("street_light_out")
        assert category is not None
        report_id = f"T{uuid.uuid4().hex[:4].upper()}-{uuid.uuid4().hex[:5].upper()}"
        submitted = ReportSubmitted(
            report_id=report_id,
            jurisdiction="duisburg",
            category=CategoryRef(code=category.code, names=dict(category.names)),
            description="Die Laterne vor Hausnummer 12 ist dunkel, sagt Frau Beispiel.",
            location=location,
            address=address,
            reporter=seal_person(
                await self.keys.create(report_id),
                report_id,
                Reporter(email="reporterin@example.org", name="Rita Reporter"),
            ),
        )
        routed = ReportRouted(
            report_id=report_id,
            jurisdiction="duisburg",
            category=submitted.category,
            department=DepartmentRef(id="stadt-licht", name="Stadt Duisburg – Licht"),
            rule="rule:street_light_out",
            caused_by=submitted.event_id,
            reporter=submitted.reporter,
            occurred_at=routed_at or datetime.now(UTC),
            location=location,
            address=address,
        )
        await publish_event(self.broker, topics.REPORTS_SUBMITTED, submitted, "/test/reports")
        await publish_event(self.broker, topics.REPORTS_ROUTED, routed, "/test/routing")
        return report_id

    async def report_consumed(self, report_id: str) -> None:
        """Wait until notify's alert consumers have taken the report's routing, which carries
        its place (the submission is not theirs)."""
        await self.consumed(topics.REPORTS_ROUTED, report_id)

    async def consumed(self, topic: str, key: str) -> None:
        """Wait until notify's alert consumers are past every record of `key` on `topic`."""
        records = await records_with_key(self.system.kafka, topic, key)
        assert records, f"nothing with key {key} on {topic}"
        last = max(records, key=lambda r: r["offset"])

        async def past_it() -> bool:
            committed = await committed_offset(
                self.system.kafka, group_for(self.group, topic), topic, last["partition"]
            )
            return committed is not None and committed > last["offset"]

        await wait_until(past_it, what=f"notify to consume {topic} of {key}")

    async def settled(self, link_path: str, events: int) -> None:
        """Wait until notify has consumed the subscription's first `events` events."""
        token = link_path.rsplit("/", 1)[1]
        subscription = await self.store.by_token_hash(hashlib.sha256(token.encode()).hexdigest())

        async def published() -> bool:
            records = await records_with_key(self.system.kafka, topics.AREA_ALERTS, subscription.id)
            return len(records) >= events

        await wait_until(published, what=f"{events} events of the subscription on Kafka")
        await self.consumed(topics.AREA_ALERTS, subscription.id)


async def skip_to_end(bootstrap: str, group: str, names: list[str]) -> None:
    """A new consumer group starts at the earliest record; records of earlier runs are not
    this test's business, so the group starts at the end instead."""
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group)
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [
            TopicPartition(name, p)
            for name in names
            for p in consumer.partitions_for_topic(name) or ()
        ]
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.commit(dict(ends))
    finally:
        await consumer.stop()


@pytest.fixture
async def flow(infrastructure: LocalSystem) -> AsyncIterator[Flow]:
    await ensure_topics(infrastructure.kafka, ALERT_TOPICS, 3, 1)
    group = f"notify-alerts-{uuid.uuid4().hex[:8]}"
    await skip_to_end(infrastructure.kafka, group, ALERT_TOPICS)
    mongo = connect(infrastructure.mongodb_url)
    reports_db = mongo[f"alerts_reports_{uuid.uuid4().hex[:8]}"]
    notify_db = mongo[f"alerts_notify_{uuid.uuid4().hex[:8]}"]

    broker = make_broker(infrastructure.kafka, client_id="stadtmelder-test-alerts")
    store = MongoAlertStore(reports_db)
    await store.ensure_indexes()
    # Reports seals the request's address under the alert's key, notify opens it with it.
    keys = InMemoryDataKeys()
    relay = OutboxRelay(AlertOutbox(store), KafkaEventPublisher(broker, "/test/reports"), 0.2)
    alerts = AlertService(
        store,
        DUISBURG,
        load_districts(),
        on_events_pending=relay.wake,
        data_keys=keys,
    )
    app = Litestar(
        route_handlers=[AlertsController],
        dependencies={
            "alerts": Provide(lambda: alerts, sync_to_thread=False),
            "limiter": Provide(lambda: SubmissionLimiter(100), sync_to_thread=False),
        },
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=None,
    )
    # A real server in this event loop: the Mongo and Kafka clients are bound to it.
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=_free_port(), log_config=None)
    )
    serving = asyncio.create_task(server.serve())
    await wait_until(_started(server), what="the test server")
    url = f"http://127.0.0.1:{server.config.port}"
    async with httpx.AsyncClient(base_url=url) as client:
        mailer = SmtpMailer(
            "127.0.0.1", infrastructure.smtp_port, "Stadtmelder <noreply@example.org>"
        )
        flow = Flow(infrastructure, client, broker, store, group, notify_db, mailer, keys)
        register_alert_handlers(broker, flow.notify(), group)
        await ensure_alert_indexes(notify_db)
        await broker.start()
        relaying = asyncio.create_task(relay.run())
        try:
            yield flow
        finally:
            relaying.cancel()
            server.should_exit = True
            with contextlib.suppress(asyncio.CancelledError):
                await relaying
            await serving
            await broker.stop()
            await mailer.close()
            await mongo.drop_database(reports_db.name)
            await mongo.drop_database(notify_db.name)
            await mongo.close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _started(server: uvicorn.Server) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return server.started

    return probe


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def link(mail: EmailMessage, kind: str) -> str:
    match = re.search(rf"{re.escape(BASE)}/api/v1/alerts/{kind}/\S+", text_of(mail))
    assert match, text_of(mail)
    return urlsplit(match.group(0)).path


async def test_subscribe_confirm_get_an_alert_for_the_area_only_then_cancel(flow: Flow) -> None:
    address = f"nachbar-{uuid.uuid4().hex[:10]}@example.org"
    mailbox = flow.system.mailbox
    requested = await flow.client.post(
        "/api/v1/alerts",
        json={"email": address, "language": "en", "lat": KOENIGSTRASSE[0], "lon": KOENIGSTRASSE[1]},
    )
    assert requested.status_code == 202, requested.text

    [confirmation] = await wait_until(
        lambda: mailbox.received(address), what="the confirmation mail"
    )
    assert confirmation["Subject"] == "Please confirm your alert"
    assert confirmation["Content-Language"] == "en"
    assert confirmation["List-Unsubscribe"] is None
    confirm_path = link(confirmation, "confirm")
    assert f'href="{BASE}{confirm_path}"' in html_of(confirmation)
    confirmed = await flow.client.post(confirm_path)
    assert confirmed.json()["status"] == "confirmed"

    far_away = await flow.publish_report(HAMBORN)
    nearby = await flow.publish_report(NEARBY, address="Königstraße 45")
    [_, alert] = await wait_until(lambda: mails(flow, address, 2), what="the alert mail")
    await flow.report_consumed(far_away)
    assert len(mailbox.messages_to(address)) == 2
    assert alert["Subject"] == "New report near you: Street light out"
    assert nearby in text_of(alert)
    assert "Königstraße 45 (Mitte)" in text_of(alert)
    for private in ("reporterin@example.org", "Rita Reporter", "Frau Beispiel"):
        assert private not in alert.as_string()
    cancel_path = link(alert, "cancel")
    assert alert["List-Unsubscribe"] == f"<{BASE}{cancel_path}>"
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    cancelled = await flow.client.post(
        cancel_path,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert cancelled.json()["status"] == "cancelled"
    await flow.settled(cancel_path, events=3)  # requested, confirmed, cancelled
    after = await flow.publish_report(NEARBY)
    await flow.report_consumed(after)

    assert len(mailbox.messages_to(address)) == 2


async def mails(flow: Flow, address: str, count: int) -> list[EmailMessage] | None:
    """For `wait_until`: the mails to `address` once there are `count` of them."""
    found = flow.system.mailbox.messages_to(address)
    return found if len(found) >= count else None


async def test_a_daily_subscriber_gets_the_days_reports_in_one_digest(flow: Flow) -> None:
    address = f"taeglich-{uuid.uuid4().hex[:10]}@example.org"
    mailbox = flow.system.mailbox
    await flow.client.post(
        "/api/v1/alerts",
        json={"email": address, "district": "district-500", "frequency": "daily"},
    )
    [confirmation] = await wait_until(
        lambda: mailbox.received(address), what="the confirmation mail"
    )
    confirm_path = link(confirmation, "confirm")
    await flow.client.post(confirm_path)
    await flow.settled(confirm_path, events=2)
    # Routed at one instant, so the two never fall on either side of a local midnight.
    routed_at = datetime.now(UTC)
    first = await flow.publish_report(NEARBY, routed_at=routed_at)
    second = await flow.publish_report(Location(lat=51.4300, lon=6.7750), routed_at=routed_at)
    await flow.report_consumed(first)
    await flow.report_consumed(second)
    assert len(mailbox.messages_to(address)) == 1  # nothing right away

    # The digest job two days later, on notify's database: the day of the reports is over.
    later = flow.notify(clock=lambda: datetime.now(UTC) + timedelta(days=2))
    # At least ours: a stack reused from an earlier run replays that run's daily subscriptions
    # from the alerts topic, and they rightly get their digest too.
    assert await later.send_due_digests() >= 1
    assert await later.send_due_digests() == 0

    [_, digest] = mailbox.messages_to(address)
    assert digest["Subject"].startswith("2 neue Meldungen vom ")
    assert first in text_of(digest)
    assert second in text_of(digest)
    assert digest["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
