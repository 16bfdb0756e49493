"""Each send method against a real counterpart: an HTTP receiver, the SMTP sink, Kafka."""

import json
import threading
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from stadtmelder_routing.sending.dispatcher import Dispatcher, RetryPolicy
from stadtmelder_routing.sending.kafka_topic import KafkaTopicSender
from stadtmelder_routing.sending.mailbox import MailboxSender, SmtpServer
from stadtmelder_routing.sending.open311 import Open311Sender
from stadtmelder_routing.sending.send_log import MongoSendLog
from stadtmelder_routing.sending.topic_check import KafkaTopicCheck
from stadtmelder_routing.sending.webhook import WebhookSender, verify_signature
from stadtmelder_shared import topics
from stadtmelder_shared.departments import SendMethod
from stadtmelder_shared.kafka import KafkaEventPublisher, make_broker
from stadtmelder_shared.service_clients import connect_mongo
from stadtmelder_shared.work_item_events import WorkItemQueued
from tests.conftest import LocalSystem
from tests.fakes import RecordingPublisher
from tests.sending_fakes import InMemorySendLog, a_department, a_work_item
from tests.system import records_with_key, wait_until

pytestmark = pytest.mark.integration

SECRET = "integration-secret"
ENVIRON = {"LICHT_SECRET": SECRET, "BACKOFFICE_API_KEY": "key-123"}
QUICK = RetryPolicy(attempts=4, first_wait_s=0.01, max_wait_s=0.05)


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    """A real HTTP server in a thread; `answer` decides each response from the request."""

    answer: Callable[["Receiver", Received], tuple[int, bytes]]
    received: list[Received] = field(default_factory=list)
    url: str = ""


@pytest.fixture
def receiver() -> Iterator[Callable[..., Receiver]]:
    servers: list[ThreadingHTTPServer] = []

    def start(answer: Callable[[Receiver, Received], tuple[int, bytes]]) -> Receiver:
        state = Receiver(answer)

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                request = Received(
                    dict(self.headers.items()),
                    self.rfile.read(int(self.headers["Content-Length"])),
                )
                state.received.append(request)
                status, body = state.answer(state, request)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                return

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        state.url = f"http://127.0.0.1:{server.server_address[1]}"
        return state

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient() as client:
        yield client


def an_item() -> WorkItemQueued:
    return a_work_item(report_id=f"R{uuid.uuid4().hex[:8].upper()}X", event_id=str(uuid.uuid4()))


def webhook_receiver_that_fails_first(failures: int) -> Callable[[Receiver, Received], Any]:
    def answer(state: Receiver, request: Received) -> tuple[int, bytes]:
        signed = verify_signature(
            SECRET,
            request.headers["X-Stadtmelder-Timestamp"],
            request.body,
            request.headers["X-Stadtmelder-Signature"],
        )
        if not signed:
            return 401, b'{"error":"bad signature"}'
        return (503, b"{}") if len(state.received) <= failures else (200, b"{}")

    return answer


async def test_signed_webhook_reaches_a_receiver_that_verifies_it_after_its_errors(
    receiver: Callable[..., Receiver], http: httpx.AsyncClient
) -> None:
    hook = receiver(webhook_receiver_that_fails_first(2))
    method = SendMethod("webhook", url=f"{hook.url}/hooks/work", secret_env="LICHT_SECRET")
    send_log = InMemorySendLog()
    dispatcher = Dispatcher(
        {"webhook": WebhookSender(http, environ=ENVIRON, timeout_s=5)},
        send_log,
        RecordingPublisher(),
        policy=QUICK,
    )
    item = an_item()

    [outcome] = await dispatcher.dispatch(item, a_department(method))

    assert (outcome.result, outcome.attempts) == ("delivered", 3)
    assert len(hook.received) == 3
    delivered = hook.received[-1]
    assert json.loads(delivered.body) == item.model_dump(mode="json")
    assert delivered.headers["X-Stadtmelder-Event-Id"] == item.event_id


async def test_webhook_with_the_wrong_secret_is_refused_and_recorded_as_failed(
    receiver: Callable[..., Receiver], http: httpx.AsyncClient
) -> None:
    hook = receiver(webhook_receiver_that_fails_first(0))
    method = SendMethod("webhook", url=hook.url, secret_env="LICHT_SECRET")
    publisher = RecordingPublisher()
    sender = WebhookSender(http, environ={"LICHT_SECRET": "rotated-too-early"})
    dispatcher = Dispatcher({"webhook": sender}, InMemorySendLog(), publisher, policy=QUICK)

    [outcome] = await dispatcher.dispatch(an_item(), a_department(method))

    assert (outcome.result, outcome.attempts) == ("failed", 1)
    assert outcome.error == "webhook refused the work item with HTTP 401"
    assert publisher.topics() == [topics.WORK_ITEMS_SEND_FAILED]


async def test_open311_back_office_gets_a_service_request_and_its_id_is_kept(
    receiver: Callable[..., Receiver], http: httpx.AsyncClient
) -> None:
    def back_office(state: Receiver, request: Received) -> tuple[int, bytes]:
        form = parse_qs(request.body.decode())
        if form.get("api_key") != ["key-123"]:
            return 403, b'[{"code":403,"description":"api_key invalid"}]'
        return 201, json.dumps([{"service_request_id": "BO-4711"}]).encode()

    office = receiver(back_office)
    method = SendMethod(
        "open311",
        url=f"{office.url}/open311/v2/requests.json",
        service_code="LIGHT-01",
        secret_env="BACKOFFICE_API_KEY",
    )
    send_log = InMemorySendLog()
    sender = Open311Sender(http, environ=ENVIRON)
    dispatcher = Dispatcher({"open311": sender}, send_log, RecordingPublisher(), policy=QUICK)
    item = an_item()

    [outcome] = await dispatcher.dispatch(item, a_department(method))

    assert outcome.result == "delivered"
    [record] = await send_log.of_report(item.report_id)
    assert record.receipt == "BO-4711"
    [request] = office.received
    form = parse_qs(request.body.decode())
    assert form["service_code"] == ["LIGHT-01"]
    assert (form["lat"], form["long"]) == (["51.434408"], ["6.762329"])
    assert form["address_string"] == ["Königstraße 12, 47051 Duisburg"]
    assert form["attribute[pole_number]"] == ["DU-4711"]
    assert form["attribute[lamp_state][]"] == ["dark", "flickering"]


async def test_work_order_mail_arrives_in_the_department_mailbox(
    infrastructure: LocalSystem,
) -> None:
    mailbox = f"licht-{uuid.uuid4().hex[:8]}@stadt-duisburg.example"
    sender = MailboxSender(
        SmtpServer(port=infrastructure.smtp_port),
        staff_url_template="https://stadtmelder.example/staff/reports/{report_id}",
    )
    send_log = InMemorySendLog()
    dispatcher = Dispatcher({"email": sender}, send_log, RecordingPublisher(), policy=QUICK)
    item = an_item()

    await dispatcher.dispatch(item, a_department(SendMethod("email", mailbox=mailbox)))

    [message] = await wait_until(lambda: infrastructure.mailbox.received(mailbox))
    assert message["Subject"] == f"Arbeitsauftrag {item.report_id}: Straßenlaterne defekt"
    assert message["Message-ID"] == f"<work-item.{item.event_id}@stadtmelder>"
    text = message.get_content()
    assert f"Meldung:      {item.report_id}" in text
    assert item.description in text
    assert f"https://stadtmelder.example/staff/reports/{item.report_id}" in text
    [record] = await send_log.of_report(item.report_id)
    assert record.receipt == message["Message-ID"]


async def test_kafka_method_puts_the_work_item_on_the_department_topic(
    infrastructure: LocalSystem,
) -> None:
    broker = make_broker(infrastructure.kafka, client_id="stadtmelder-test-sending")
    await broker.start()
    try:
        sender = KafkaTopicSender(KafkaEventPublisher(broker, "/stadtmelder/routing"))
        dispatcher = Dispatcher({"kafka": sender}, InMemorySendLog(), RecordingPublisher())
        item = an_item()

        [outcome] = await dispatcher.dispatch(item, a_department())

        topic = topics.department_work("stadt-licht")
        [record] = await wait_until(
            lambda: records_with_key(infrastructure.kafka, topic, item.report_id)
        )
    finally:
        await broker.stop()
    assert outcome.result == "delivered"
    assert json.loads(record["value"]) == item.model_dump(mode="json")
    headers = record["headers"]
    assert headers["ce_id"] == item.event_id
    assert headers["ce_type"] == "org.stadtmelder.department.work-item-queued"
    assert headers["ce_source"] == "/stadtmelder/routing"
    assert headers["ce_specversion"] == "1.0"


async def test_unreachable_webhook_is_recorded_in_mongo_and_announced_on_kafka(
    infrastructure: LocalSystem, http: httpx.AsyncClient
) -> None:
    broker = make_broker(infrastructure.kafka, client_id="stadtmelder-test-sending")
    mongo = connect_mongo(infrastructure.mongodb_url)
    database = f"sending_{uuid.uuid4().hex[:8]}"
    await broker.start()
    try:
        send_log = MongoSendLog(mongo[database])
        dispatcher = Dispatcher(
            {"webhook": WebhookSender(http, environ=ENVIRON, timeout_s=2)},
            send_log,
            KafkaEventPublisher(broker, "/stadtmelder/routing"),
            policy=RetryPolicy(attempts=2, first_wait_s=0.01, max_wait_s=0.01),
        )
        # Port 9 (discard) has no listener here: every attempt is a refused connection.
        method = SendMethod("webhook", url="http://127.0.0.1:9/hooks", secret_env="LICHT_SECRET")
        item = an_item()

        [outcome] = await dispatcher.dispatch(item, a_department(method))

        [record] = await dispatcher.failed_sends(100)
        [announced] = await wait_until(
            lambda: records_with_key(
                infrastructure.kafka, topics.WORK_ITEMS_SEND_FAILED, item.report_id
            )
        )
    finally:
        await broker.stop()
        await mongo.drop_database(database)
        await mongo.close()
    assert outcome.result == "failed"
    assert (record.report_id, record.status, record.attempts) == (item.report_id, "failed", 2)
    assert record.last_error == "webhook not reached: ConnectError"
    event = json.loads(announced["value"])
    assert event["method"] == "webhook http://127.0.0.1:9/hooks"
    assert (event["attempts"], event["error"]) == (2, "webhook not reached: ConnectError")
    assert announced["headers"]["ce_type"] == "org.stadtmelder.department.work-item-send-failed"


async def test_a_kafka_send_cut_off_after_the_broker_took_it_is_recorded_not_published_twice(
    infrastructure: LocalSystem, real_database: Any
) -> None:
    """kill -9 between the broker's acknowledgement and the send log's record: the worker that
    takes the send over finds the item on the department's topic."""
    broker = make_broker(infrastructure.kafka, client_id="stadtmelder-test-sending")
    await broker.start()
    try:
        publisher = KafkaEventPublisher(broker, "/stadtmelder/routing")
        send_log, item, now = MongoSendLog(real_database), an_item(), datetime.now(UTC)
        # The killed worker: claimed (its lease is over by now) and published, nothing recorded.
        await send_log.claim(item, SendMethod("kafka"), now - timedelta(minutes=1), now)
        await KafkaTopicSender(publisher).send(item, SendMethod("kafka"))
        dispatcher = Dispatcher(
            {"kafka": KafkaTopicSender(publisher)},
            send_log,
            publisher,
            checks={"kafka": KafkaTopicCheck(infrastructure.kafka)},
        )

        [outcome] = await dispatcher.dispatch(item, a_department())
        [record] = await send_log.of_report(item.report_id)
        on_the_topic = await records_with_key(
            infrastructure.kafka, topics.department_work("stadt-licht"), item.report_id
        )
    finally:
        await broker.stop()
    assert outcome.result == "already_delivered"
    assert record.status == "delivered"
    assert len(on_the_topic) == 1


async def test_the_topic_check_finds_only_that_item_and_only_since_the_time_asked(
    infrastructure: LocalSystem,
) -> None:
    broker = make_broker(infrastructure.kafka, client_id="stadtmelder-test-sending")
    await broker.start()
    try:
        item, other = an_item(), an_item()
        await KafkaTopicSender(KafkaEventPublisher(broker, "/stadtmelder/routing")).send(
            item, SendMethod("kafka")
        )
    finally:
        await broker.stop()
    check, now = KafkaTopicCheck(infrastructure.kafka), datetime.now(UTC)

    assert await check.delivered_since(item, now - timedelta(minutes=1))
    assert not await check.delivered_since(other, now - timedelta(minutes=1))
    assert not await check.delivered_since(item, now + timedelta(minutes=1))
