"""Poison records on every partition of every topic a service consumes, on the real Kafka:
shows that the next real event on each partition is handled and the poison is on `.dlq`."""

import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import LogicSubscriber

from stadtmelder_shared import topics
from stadtmelder_shared.alert_events import (
    AreaAlertCancelled,
    AreaAlertConfirmed,
    AreaAlertRequested,
)
from stadtmelder_shared.citizen_events import (
    CitizenNotified,
    NotificationPreferencesChanged,
    PushSubscriptionChanged,
    ReportSupported,
)
from stadtmelder_shared.cloudevents import headers_for
from stadtmelder_shared.data_keys import alert_key_id
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import (
    Actor,
    CategoryRef,
    DepartmentRef,
    Location,
    PushSubscription,
)
from stadtmelder_shared.kafka import ensure_topics, make_broker
from stadtmelder_shared.metrics import ServiceMetrics
from stadtmelder_shared.report_events import (
    ReportOverdue,
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
    ReportUnroutable,
)
from stadtmelder_shared.sealing import new_data_key, seal
from stadtmelder_shared.work_item_events import WorkItemSendFailed
from stadtmelder_shared.works import WorksChanged
from tests.system import delete_records, records_with_key, wait_until

DEPARTMENT_IDS = tuple(d.id for d in load_directory().departments)
DEPARTMENT = DepartmentRef(id=DEPARTMENT_IDS[0], name="Straßen")
CATEGORY = CategoryRef(code="pothole", names={"de": "Schlagloch"})
# Personal data in the poison: it must reach no log line.
PERSONAL = "poison.person@example.org"


class Recorder:
    """Stands in for a service's use cases: records the event ids and plain ids each call got
    (an event, or e.g. a report id), and answers `returns`."""

    def __init__(self, returns: dict[str, Any] | None = None, **parts: "Recorder") -> None:
        self.seen: set[str] = set()
        self._returns = returns or {}
        # Use cases reached through an attribute, e.g. `service.works.take`, record here too.
        for name, part in parts.items():
            part.seen = self.seen
            setattr(self, name, part)

    def __getattr__(self, name: str) -> Callable[..., Any]:
        async def use_case(*args: Any) -> Any:
            for arg in args:
                if isinstance(arg, Event):
                    self.seen.add(arg.event_id)
                elif isinstance(arg, str):
                    self.seen.add(arg)
            return self._returns.get(name, False)

        return use_case


# A key no service knows: what is sealed under it stays unreadable to them.
KEY = new_data_key()


def real_event(topic: str, report_id: str) -> tuple[Any, str]:
    """A valid record body for `topic` and the event id it carries."""
    common: dict[str, Any] = {"report_id": report_id, "jurisdiction": "duisburg"}
    now = datetime.now(UTC)
    makers: dict[str, Callable[[], Event]] = {
        topics.REPORTS_SUBMITTED: lambda: ReportSubmitted(
            **common, category=CATEGORY, description="Loch", location=Location(lat=51.43, lon=6.76)
        ),
        topics.REPORTS_ROUTED: lambda: ReportRouted(
            **common, category=CATEGORY, department=DEPARTMENT, rule="rule:x", caused_by="c"
        ),
        topics.REPORTS_UNROUTABLE: lambda: ReportUnroutable(
            **common, category=CATEGORY, department=DEPARTMENT, reason="none", caused_by="c"
        ),
        topics.REPORTS_SUPPORTED: lambda: ReportSupported(**common, supporter_count=2),
        topics.REPORTS_STATUS_CHANGED: lambda: ReportStatusChanged(
            **common,
            status="acknowledged",
            previous_status="routed",
            department=DEPARTMENT,
            actor=Actor(role="system"),
        ),
        topics.REPORTS_OVERDUE: lambda: ReportOverdue(
            **common, department=DEPARTMENT, due_at=now - timedelta(days=1)
        ),
        topics.CITIZENS_NOTIFIED: lambda: CitizenNotified(
            **common, channel="email", notification="routed", caused_by="c"
        ),
        topics.WORK_ITEMS_SEND_FAILED: lambda: WorkItemSendFailed(
            **common, department=DEPARTMENT, method="webhook", attempts=5, error="HTTP 503"
        ),
        topics.NOTIFICATION_PREFERENCES: lambda: NotificationPreferencesChanged(
            **common, recipient_key="k" * 40, opted_out=True
        ),
        topics.PUSH_SUBSCRIPTIONS: lambda: PushSubscriptionChanged(
            **common,
            subscription=PushSubscription(endpoint="https://push.test/1", p256dh="p", auth="a"),
        ),
        # Withdrawn and far from Duisburg: the compacted topic keeps it, and the services that
        # end-to-end tests start later read it as works that no report can lie in.
        topics.WORKS_CHANGED: lambda: WorksChanged(
            **common,
            works_id=report_id,
            revision=1,
            title="Probe",
            operator="Test",
            starts_on=now.date(),
            ends_on=now.date(),
            outline={"type": "Polygon", "coordinates": [[[0, 0], [0, 0.001], [0.001, 0], [0, 0]]]},
            withdrawn=True,
        ),
    }
    if topic in makers:
        event = makers[topic]()
        return event, event.event_id
    if topic == topics.AREA_ALERTS:
        kinds: list[Callable[[], AreaAlertConfirmed | AreaAlertCancelled | AreaAlertRequested]] = [
            lambda: AreaAlertConfirmed(**common),
            lambda: AreaAlertCancelled(**common),
            lambda: AreaAlertRequested(
                **common,
                # Sealed under a key no service has: notify counts them unreadable.
                email=seal(new_data_key(), alert_key_id(report_id), "alert_email", "a@b.example"),
                district="Mitte",
                confirm_token_hash="h",
                confirm_token=seal(
                    new_data_key(), alert_key_id(report_id), "alert_confirm_token", "t"
                ),
            ),
        ]
        alert = kinds[hash(report_id) % len(kinds)]()
        return alert, alert.event_id
    event_id = str(uuid.uuid4())  # a department system's transition
    return {"event_id": event_id, "report_id": report_id, "to": "acknowledged"}, event_id


def poison(kind: int, topic: str, report_id: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The four kinds of record no consumer can handle: not JSON, the wrong shape, an unknown
    schema version, headers that are not UTF-8."""
    event, _ = real_event(topic, report_id)
    body = event.model_dump(mode="json") if isinstance(event, Event) else dict(event)
    headers = _headers(event)
    match kind % 4:
        case 0:
            return f'{{"reporter": {{"email": "{PERSONAL}"'.encode(), headers
        case 1:
            return json.dumps({"report_id": report_id, "email": PERSONAL}).encode(), headers
        case 2 if isinstance(event, Event):
            return json.dumps({**body, "schema_version": 99}).encode(), headers
        case 2:  # a department's update has no schema version: an empty event id instead
            return json.dumps({**body, "event_id": ""}).encode(), headers
        case _:
            return json.dumps(body).encode(), [
                *headers,
                ("ce_source", b"\xff\xfe" + PERSONAL.encode()),
            ]


def _headers(event: Any) -> list[tuple[str, bytes]]:
    if not isinstance(event, Event):
        return []
    return [(k, v.encode()) for k, v in headers_for(event, "/tests/poison").items()]


@dataclass(frozen=True)
class Placed:
    """A poison record on `topic`/`partition`, which consumer group `group` must park."""

    group: str
    topic: str
    partition: int


class PoisonRun:
    """One service's consumers (registered on `broker` by the test) against poison."""

    def __init__(self, kafka: str) -> None:
        self.kafka = kafka
        self.metrics = ServiceMetrics("poison-test", process_series=False)
        self.broker: KafkaBroker = make_broker(
            kafka, f"poison-{uuid.uuid4().hex[:6]}", (self.metrics.kafka_middleware(),)
        )
        self.key = f"POISON-{uuid.uuid4().hex[:8]}"
        self._written: dict[TopicPartition, int] = {}

    def consumed(self) -> list[tuple[str, str]]:
        """(group, topic) of every consumer the broker has; patterns stand for the departments'
        update topics."""
        pairs = []
        for subscriber in self.broker.subscribers:
            # Every subscriber of a KafkaBroker is one, but the broker declares the base class.
            assert isinstance(subscriber, LogicSubscriber)
            group = str(subscriber.group_id)
            if subscriber.pattern:
                pairs += [(group, topics.department_updates(d)) for d in DEPARTMENT_IDS]
            else:
                pairs += [(group, topic) for topic in subscriber.topic_names]
        return pairs

    async def run(self, seen: Callable[[], set[str]]) -> list[Placed]:
        """Poison then a real event on each partition; returns where once all is handled."""
        pairs = self.consumed()
        consumed_topics = sorted({topic for _, topic in pairs})
        await ensure_topics(self.kafka, topics.service_topics(DEPARTMENT_IDS), 3, 1)
        partitions = await self._partitions(consumed_topics)
        for group, topic in pairs:
            await self._start_at_end(group, topic, partitions[topic])
        await self.broker.start()
        placed: list[Placed] = []
        real: dict[tuple[str, str], str] = {}  # (event id, report id): topic
        producer = AIOKafkaProducer(bootstrap_servers=self.kafka, acks="all")
        await producer.start()
        try:
            for index, topic in enumerate(consumed_topics):
                for partition in partitions[topic]:
                    body, headers = poison(index + partition, topic, self.key)
                    sent = await producer.send_and_wait(
                        topic, body, key=self.key.encode(), partition=partition, headers=headers
                    )
                    self._written[TopicPartition(topic, partition)] = sent.offset + 1
                    ids, offset = await self._send_real(producer, topic, partition)
                    self._written[TopicPartition(topic, partition)] = offset + 1
                    real[ids] = topic
                    placed += [Placed(g, topic, partition) for g, t in pairs if t == topic]
        finally:
            await producer.stop()

        def missing() -> list[str]:
            handled = seen()
            return sorted(t for ids, t in real.items() if not handled.intersection(ids))

        try:
            await wait_until(lambda: _async(not missing()), timeout=90)
        except AssertionError:
            raise AssertionError(
                f"real events after the poison not handled on {missing()}"
            ) from None
        return placed

    async def _send_real(
        self, producer: AIOKafkaProducer, topic: str, partition: int
    ) -> tuple[tuple[str, str], int]:
        report_id = f"REAL{uuid.uuid4().hex[:4].upper()}-{partition:05d}"
        event, event_id = real_event(topic, report_id)
        body = event.model_dump(mode="json") if isinstance(event, Event) else event
        sent = await producer.send_and_wait(
            topic,
            json.dumps(body).encode(),
            key=report_id.encode(),
            partition=partition,
            headers=_headers(event),
        )
        return (event_id, report_id), sent.offset

    async def forget(self) -> None:
        """Delete the records written, with those before them on their partitions.

        The services that end-to-end tests start later in the session read these topics from
        the start: stand-in events of reports they never saw would hold them up (notify waits
        up to 10 s for the confirmation of each routed report it did not see submitted).
        """
        # A compacted topic refuses deletions; what stays there is parked or ignored again.
        written = {tp: at for tp, at in self._written.items() if tp.topic not in topics.COMPACTED}
        await delete_records(self.kafka, written)

    async def dead_letters(self, placed: list[Placed]) -> set[Placed]:
        """Each poison record found on its `.dlq` topic, by who parked it and from where."""
        found: set[Placed] = set()
        for topic in sorted({p.topic for p in placed}):
            for record in await records_with_key(self.kafka, topics.dead_letter(topic), self.key):
                headers = record["headers"]
                found.add(
                    Placed(
                        headers["dlq_group"], headers["dlq_topic"], int(headers["dlq_partition"])
                    )
                )
        return found

    def dead_letter_count(self) -> float:
        total = 0.0
        for metric in self.metrics.registry.collect():
            if metric.name == "stadtmelder_dead_letters":
                total += sum(s.value for s in metric.samples if s.name.endswith("_total"))
        return total

    async def _partitions(self, names: list[str]) -> dict[str, list[int]]:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.kafka)
        await admin.start()
        try:
            described = await admin.describe_topics(names)
        finally:
            await admin.close()
        return {
            topic["topic"]: sorted(p["partition"] for p in topic["partitions"])
            for topic in described
        }

    async def _start_at_end(self, group: str, topic: str, partitions: list[int]) -> None:
        """Commit the group at the topic's end, so it skips what earlier tests left there."""
        consumer = AIOKafkaConsumer(
            bootstrap_servers=self.kafka, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            assigned = [TopicPartition(topic, p) for p in partitions]
            consumer.assign(assigned)
            ends = await consumer.end_offsets(assigned)
            await consumer.commit(dict(ends.items()))
        finally:
            await consumer.stop()


async def _async(value: bool) -> bool:
    return value
