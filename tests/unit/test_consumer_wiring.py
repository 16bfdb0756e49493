"""The shared consumer wiring, through TestKafkaBroker: typed events in, poison records out to
`<topic>.dlq`, logged without their payload and counted, and the consumer goes on."""

import asyncio
import logging
from dataclasses import replace
from typing import Any

import pytest
from aiokafka.errors import MessageSizeTooLargeError
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker
from faststream.kafka.subscriber.usecase import LogicSubscriber
from faststream.kafka.testing import build_message
from prometheus_client import generate_latest
from pymongo.errors import AutoReconnect, OperationFailure, WriteConcernError

from stadtmelder_shared import topics
from stadtmelder_shared.alert_events import AreaAlertCancelled, AreaAlertConfirmed
from stadtmelder_shared.backoff import NO_PAUSE
from stadtmelder_shared.cloudevents import headers_for
from stadtmelder_shared.consumers import RetryPolicy, is_transient
from stadtmelder_shared.dead_letters import Origin, Rejected, raw_body
from stadtmelder_shared.event_values import CategoryRef, DepartmentRef, Reporter
from stadtmelder_shared.kafka import IDLE_FETCH_WAIT_MS, consumer, make_broker, pattern_consumer
from stadtmelder_shared.metrics import ServiceMetrics
from stadtmelder_shared.report_events import ReportUnroutable
from tests.data_key_fakes import SealingKit

# Seals contact fields the way reports does; the service opens them with its keys.
KIT = SealingKit()

TOPIC = topics.REPORTS_UNROUTABLE
RETRY_AT_ONCE = RetryPolicy(attempts=5, backoff=NO_PAUSE)
SECRET = "private.person@example.org"


class ChangedMeanwhile(Exception):
    """Stands for a service's own 'try again' exception."""


def unroutable(report_id: str = "ABCDE-00001") -> ReportUnroutable:
    return ReportUnroutable(
        report_id=report_id,
        jurisdiction="duisburg",
        category=CategoryRef(code="pothole", names={"de": "Schlagloch"}),
        department=DepartmentRef(id="triage", name="Triage"),
        reason="no rule",
        caused_by="submitted-1",
        reporter=KIT.reporter(report_id, Reporter(email=SECRET, name="Paula Privat")),
    )


class Wired:
    """One consumer of `reports.unroutable` whose handler does what `fail_with` says."""

    def __init__(self) -> None:
        self.metrics = ServiceMetrics("tests", process_series=False)
        self.broker = KafkaBroker(middlewares=(self.metrics.kafka_middleware(),))
        self.handled: list[ReportUnroutable] = []
        self.calls = 0
        self.fail_with: list[BaseException] = []
        self.dead: list[tuple[bytes, dict[str, str]]] = []

        @consumer(
            self.broker, TOPIC, "tests", policy=replace(RETRY_AT_ONCE, retried=(ChangedMeanwhile,))
        )
        async def on_report_unroutable(event: ReportUnroutable) -> None:
            self.calls += 1
            if self.fail_with:
                raise self.fail_with.pop(0)
            self.handled.append(event)

        # Reads bodies as they are: a dead letter said to be JSON may well not be.
        @self.broker.subscriber(topics.dead_letter(TOPIC), group_id="spy", decoder=raw_body)
        async def spy(message: KafkaMessage) -> None:
            self.dead.append((message.body, dict(message.headers)))

    def dead_letter_count(self, reason: str) -> float:
        value = self.metrics.registry.get_sample_value(
            "stadtmelder_dead_letters_total",
            {"service": "tests", "topic": TOPIC, "reason": reason},
        )
        return value or 0.0


async def publish(broker: Any, event: ReportUnroutable, **overrides: Any) -> None:
    body = {**event.model_dump(mode="json"), **overrides}
    await broker.publish(body, TOPIC, key=event.report_id.encode())


async def test_a_record_that_is_not_json_is_dead_lettered_and_the_next_event_handled() -> None:
    wired = Wired()
    event = unroutable()

    async with TestKafkaBroker(wired.broker) as broker:
        await broker.publish(b"\x00{not json", TOPIC, key=b"ABCDE-00001")
        await broker.publish(
            b'{"said to be": "JSON"', TOPIC, headers={"content-type": "application/json"}
        )
        await publish(broker, event)

    assert wired.handled == [event]
    [(body, headers), (_, said_json)] = wired.dead
    assert body == b"\x00{not json"
    assert headers["dlq_reason"] == said_json["dlq_reason"] == "invalid: not JSON"
    assert headers["dlq_topic"] == TOPIC
    assert headers["dlq_group"] == "tests.reports.unroutable"
    assert {"dlq_partition", "dlq_offset"} <= set(headers)
    assert wired.dead_letter_count("invalid") == 2


async def test_a_record_too_large_to_park_with_its_headers_is_parked_without_its_body(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    wired = Wired()
    publish_as_usual = wired.broker.publish

    async def refuse_large(body: Any, *args: Any, **kwargs: Any) -> Any:
        if body:
            raise MessageSizeTooLargeError()
        return await publish_as_usual(body, *args, **kwargs)

    async with TestKafkaBroker(wired.broker):
        monkeypatch.setattr(wired.broker, "publish", refuse_large)
        await publish_as_usual(b"not json", TOPIC)

    [(body, headers)] = wired.dead
    assert body == b""
    assert headers["dlq_body"].startswith("left out")
    assert headers["dlq_reason"] == "invalid: not JSON"


async def test_a_record_of_the_wrong_shape_is_dead_lettered_naming_the_fields_only() -> None:
    wired = Wired()

    async with TestKafkaBroker(wired.broker) as broker:
        await publish(
            broker, unroutable(), jurisdiction=None, reporter={"key_id": 7, "ciphertext": "x"}
        )
        await publish(broker, unroutable(), reporter={"key_id": ["not", SECRET], "ciphertext": "x"})

    reasons = [headers["dlq_reason"] for _, headers in wired.dead]
    assert reasons[0].startswith("invalid: ")
    assert "jurisdiction string_type" in reasons[0]
    assert "reporter.key_id string_type" in reasons[0]
    assert SECRET not in reasons[1]
    assert wired.handled == []
    assert wired.dead_letter_count("invalid") == 2


async def test_a_version_1_record_with_plain_contact_data_is_dead_lettered_naming_fields() -> None:
    # Before contact fields were sealed (docs/personal-data.md): never upcast, never handled.
    wired = Wired()

    async with TestKafkaBroker(wired.broker) as broker:
        plain = {"email": SECRET, "name": "Paula Privat"}
        await publish(broker, unroutable(), schema_version=1, reporter=plain)

    [(_, headers)] = wired.dead
    assert headers["dlq_reason"].startswith("invalid: ")
    assert SECRET not in headers["dlq_reason"]
    assert wired.handled == []


async def test_an_unknown_schema_version_is_dead_lettered() -> None:
    wired = Wired()

    async with TestKafkaBroker(wired.broker) as broker:
        await publish(broker, unroutable(), schema_version=3)
        await publish(broker, unroutable("ABCDE-00003"))

    [(_, headers)] = wired.dead
    assert headers["dlq_reason"] == "schema_version 3 is not supported"
    assert [event.report_id for event in wired.handled] == ["ABCDE-00003"]
    assert wired.dead_letter_count("unsupported_version") == 1


async def test_headers_that_are_not_utf8_are_dead_lettered_not_left_unacknowledged() -> None:
    wired = Wired()
    event = unroutable()
    record = await build_message(
        event.model_dump(mode="json"), TOPIC, key=b"ABCDE-00001", serializer=None
    )
    record.headers = [*record.headers, ("ce_source", b"\xff\xfe")]

    async with TestKafkaBroker(wired.broker) as broker:
        [subscriber] = [
            s
            for s in wired.broker.subscribers
            if isinstance(s, LogicSubscriber) and TOPIC in s.topic_names
        ]
        await subscriber.process_message(record)
        await publish(broker, unroutable("ABCDE-00004"))

    [(_, headers)] = wired.dead
    assert headers["dlq_reason"] == "headers are not UTF-8"
    assert [event.report_id for event in wired.handled] == ["ABCDE-00004"]
    assert wired.dead_letter_count("bad_headers") == 1


async def test_a_header_without_a_value_is_dead_lettered_not_left_unacknowledged() -> None:
    wired = Wired()
    record = await build_message(
        unroutable().model_dump(mode="json"), TOPIC, key=b"ABCDE-00001", serializer=None
    )
    record.headers = [*record.headers, ("ce_source", None)]

    async with TestKafkaBroker(wired.broker) as broker:
        [subscriber] = [
            s
            for s in wired.broker.subscribers
            if isinstance(s, LogicSubscriber) and TOPIC in s.topic_names
        ]
        await subscriber.process_message(record)
        await publish(broker, unroutable("ABCDE-00004"))

    [(_, headers)] = wired.dead
    assert headers["dlq_reason"] == "headers are not readable"
    assert [event.report_id for event in wired.handled] == ["ABCDE-00004"]
    assert wired.dead_letter_count("bad_headers") == 1


async def test_a_record_of_another_type_on_a_topic_of_one_kind_is_dead_lettered() -> None:
    wired = Wired()
    event = unroutable()

    async with TestKafkaBroker(wired.broker) as broker:
        body = event.model_dump(mode="json")
        await broker.publish(body, TOPIC, headers={"ce_type": "org.example.other"})
        await publish(broker, unroutable("ABCDE-00004"))

    [(_, headers)] = wired.dead
    assert headers["dlq_reason"].startswith("ce_type 'org.example.other' is not ")
    assert [event.report_id for event in wired.handled] == ["ABCDE-00004"]
    assert wired.dead_letter_count("bad_headers") == 1


async def test_a_handler_that_keeps_failing_is_tried_five_times_then_dead_lettered() -> None:
    wired = Wired()
    wired.fail_with = [KeyError(SECRET) for _ in range(5)]

    async with TestKafkaBroker(wired.broker) as broker:
        await publish(broker, unroutable())
        await publish(broker, unroutable("ABCDE-00005"))

    assert wired.calls == 6
    [(_, headers)] = wired.dead
    assert headers["dlq_reason"].startswith("KeyError in on_report_unroutable")
    assert headers["dlq_reason"].endswith("after 5 attempts")
    assert SECRET not in headers["dlq_reason"]
    assert [event.report_id for event in wired.handled] == ["ABCDE-00005"]
    assert wired.dead_letter_count("handler_failed") == 1


async def test_a_handler_that_fails_a_few_times_succeeds_without_dead_letter() -> None:
    wired = Wired()
    wired.fail_with = [ValueError("flaky"), ValueError("flaky")]

    async with TestKafkaBroker(wired.broker) as broker:
        await publish(broker, unroutable())

    assert wired.calls == 3
    assert len(wired.handled) == 1
    assert wired.dead == []


@pytest.mark.parametrize(
    "error",
    [AutoReconnect("db away"), ConnectionRefusedError(), ChangedMeanwhile()],
    ids=["database-away", "socket-refused", "service-retry"],
)
async def test_a_transient_failure_is_redelivered_and_never_dead_lettered(
    error: Exception,
) -> None:
    wired = Wired()
    wired.fail_with = [error]

    async with TestKafkaBroker(wired.broker) as broker:
        # The test broker hands the error back where Kafka would deliver the record again.
        with pytest.raises(type(error)):
            await publish(broker, unroutable())
        await publish(broker, unroutable())

    assert wired.calls == 2
    assert len(wired.handled) == 1
    assert wired.dead == []
    assert b"stadtmelder_dead_letters_total{" not in generate_latest(wired.metrics.registry)


async def test_a_transient_failure_inside_a_task_group_is_redelivered_not_dead_lettered() -> None:
    broker = KafkaBroker()
    calls = 0
    dead: list[dict[str, str]] = []

    async def save() -> None:
        raise AutoReconnect("db away")

    async def announce() -> None:
        await asyncio.Event().wait()  # cancelled by the task group when save fails

    @consumer(broker, TOPIC, "tests", policy=RETRY_AT_ONCE)
    async def on_report_unroutable(event: ReportUnroutable) -> None:
        nonlocal calls
        calls += 1
        if calls == 1:
            async with asyncio.TaskGroup() as group:
                group.create_task(save())
                group.create_task(announce())

    @broker.subscriber(topics.dead_letter(TOPIC), group_id="spy")
    async def spy(message: KafkaMessage) -> None:
        dead.append(dict(message.headers))

    async with TestKafkaBroker(broker) as test_broker:
        with pytest.raises(ExceptionGroup):
            await publish(test_broker, unroutable())
        await publish(test_broker, unroutable())

    assert calls == 2
    assert dead == []


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (OperationFailure("x", 91, {"errorLabels": ["RetryableWriteError"]}), True),
        (OperationFailure("x", 251, {"errorLabels": ["TransientTransactionError"]}), True),
        (WriteConcernError("x", 64, {"errorLabels": ["RetryableWriteError"]}), True),
        (OperationFailure("x", 2, {}), False),
        (ExceptionGroup("g", [ValueError("x"), KeyError("y")]), False),
        (ExceptionGroup("g", [ValueError("x"), ExceptionGroup("h", [AutoReconnect()])]), True),
    ],
    ids=[
        "retryable-write",
        "transient-transaction",
        "write-concern",
        "bad-value",
        "bugs",
        "nested",
    ],
)
def test_errors_the_server_labels_retryable_and_groups_holding_one_are_transient(
    error: BaseException, transient: bool
) -> None:
    assert is_transient(error) is transient


async def test_the_dead_letter_log_line_has_where_and_why_but_no_payload(
    caplog: pytest.LogCaptureFixture,
) -> None:
    wired = Wired()
    wired.fail_with = [RuntimeError(f"cannot mail {SECRET}") for _ in range(5)]
    caplog.set_level(logging.DEBUG)

    async with TestKafkaBroker(wired.broker) as broker:
        await publish(broker, unroutable(), jurisdiction=None)
        await publish(broker, unroutable())

    logged = caplog.text + "".join(str(vars(record)) for record in caplog.records)
    for personal in (SECRET, "Paula Privat", "no rule"):
        assert personal not in logged
    lines = [r for r in caplog.records if "went to the dead-letter topic" in r.getMessage()]
    assert len(lines) == 2
    for line in lines:
        assert vars(line)["topic"] == TOPIC
        assert {"partition", "offset", "consumer_group", "dead_letter_kind"} <= set(vars(line))


async def test_a_union_of_events_is_told_apart_by_type_and_an_unknown_type_skipped() -> None:
    broker = KafkaBroker()
    seen: list[object] = []
    dead: list[dict[str, str]] = []

    @consumer(broker, topics.AREA_ALERTS, "tests", policy=RETRY_AT_ONCE)
    async def on_alert(event: AreaAlertConfirmed | AreaAlertCancelled) -> None:
        seen.append(event)

    @broker.subscriber(topics.dead_letter(topics.AREA_ALERTS), group_id="spy")
    async def spy(message: KafkaMessage) -> None:
        dead.append(dict(message.headers))

    cancelled = AreaAlertCancelled(report_id="alert-1", jurisdiction="duisburg")
    async with TestKafkaBroker(broker) as test_broker:
        body = cancelled.model_dump(mode="json")
        await test_broker.publish(body, topics.AREA_ALERTS, headers=headers_for(cancelled, "/t"))
        await test_broker.publish(body, topics.AREA_ALERTS)  # which kind? nobody can tell
        await test_broker.publish(body, topics.AREA_ALERTS, headers={"ce_type": "org.x.newer"})

    assert seen == [cancelled]
    assert [headers["dlq_reason"] for headers in dead] == [
        "ce_type is missing, and the topic carries several kinds"
    ]


async def test_a_rejected_record_goes_to_the_dead_letter_topic_of_its_own_topic_at_once() -> None:
    broker = KafkaBroker()
    calls: list[Origin] = []
    dead: list[dict[str, str]] = []

    @pattern_consumer(
        broker, r"departments\.[^.]+\.updates$", "tests.updates", policy=RETRY_AT_ONCE
    )
    async def on_update(event: ReportUnroutable, origin: Origin) -> None:
        calls.append(origin)
        raise Rejected("can never apply")

    @broker.subscriber(topics.dead_letter("departments.a.updates"), group_id="spy")
    async def spy(message: KafkaMessage) -> None:
        dead.append(dict(message.headers))

    async with TestKafkaBroker(broker) as test_broker:
        event = unroutable().model_dump(mode="json")
        await test_broker.publish(event, "departments.a.updates")
        await test_broker.publish(event, topics.dead_letter("departments.a.updates"))

    assert [origin.topic for origin in calls] == ["departments.a.updates"]
    # The second record on the dead-letter topic is the one published there, not read back.
    assert [headers.get("dlq_reason") for headers in dead] == ["can never apply", None]


def test_a_handler_without_a_typed_event_is_refused_at_registration() -> None:
    broker = KafkaBroker()

    async def on_anything(message: Any) -> None:
        return None

    with pytest.raises(TypeError, match="pydantic model"):
        consumer(broker, TOPIC, "tests")(on_anything)


async def test_a_handler_given_its_model_decodes_records_of_that_model_and_refuses_others() -> None:
    broker = KafkaBroker()
    handled: list[Any] = []

    @consumer(broker, TOPIC, "tests", policy=RETRY_AT_ONCE, model=ReportUnroutable)
    async def on_any(event: Any) -> None:
        handled.append(event)

    async with TestKafkaBroker(broker) as test_broker:
        body = unroutable().model_dump(mode="json")
        await test_broker.publish(body, TOPIC, headers={"ce_type": "org.example.other"})
        await publish(test_broker, unroutable("ABCDE-00005"))

    assert [(type(e), e.report_id) for e in handled] == [(ReportUnroutable, "ABCDE-00005")]


def test_an_idle_consumer_asks_the_broker_seldom() -> None:
    broker = make_broker("127.0.0.1:9", "tests")

    @consumer(broker, TOPIC, "tests")
    async def on_report_unroutable(event: ReportUnroutable) -> None: ...

    # A record answers a waiting fetch at once; an empty fetch comes back only this seldom.
    [subscriber] = broker.subscribers
    assert isinstance(subscriber, LogicSubscriber)
    assert subscriber._connection_args["fetch_max_wait_ms"] == IDLE_FETCH_WAIT_MS >= 5_000
