"""Signed webhooks: the signature, what the request carries, and which answers are retried."""

import hashlib
import hmac
import json

import httpx
import pytest

from stadtmelder_routing.sending.dispatcher import Dispatcher, RetryPolicy
from stadtmelder_routing.sending.methods import PermanentSendError, SendError
from stadtmelder_routing.sending.webhook import WebhookSender, verify_signature
from stadtmelder_shared.departments import SendMethod
from stadtmelder_shared.webhook_signatures import signature
from tests.fakes import RecordingPublisher
from tests.sending_fakes import InMemorySendLog, a_department, a_work_item

SECRET = "s3cr3t-of-the-street-lighting-office"
NOW = 1_795_000_000
METHOD = SendMethod("webhook", url="https://licht.example/hooks/work", secret_env="LICHT_SECRET")
ENVIRON = {"LICHT_SECRET": SECRET}


def a_sender(handler: httpx.MockTransport) -> WebhookSender:
    client = httpx.AsyncClient(transport=handler)
    return WebhookSender(client, environ=ENVIRON, clock=lambda: NOW + 0.7)


def answering(*statuses: int) -> tuple[httpx.MockTransport, list[httpx.Request]]:
    requests: list[httpx.Request] = []
    remaining = list(statuses)

    def handle(request: httpx.Request) -> httpx.Response:
        requests.append(request)
        return httpx.Response(remaining.pop(0))

    return httpx.MockTransport(handle), requests


def test_signature_is_the_hmac_sha256_of_timestamp_dot_body() -> None:
    body = b'{"report_id":"R7KQ2M9XA"}'
    expected = hmac.new(SECRET.encode(), b"1795000000." + body, hashlib.sha256).hexdigest()

    assert signature(SECRET, "1795000000", body) == f"sha256={expected}"


def test_a_correct_signature_is_accepted_within_the_tolerance() -> None:
    body = b'{"report_id":"R7KQ2M9XA"}'
    header = signature(SECRET, str(NOW), body)

    assert verify_signature(SECRET, str(NOW), body, header, now=NOW + 299)
    assert verify_signature(SECRET.encode(), str(NOW), body, header, now=NOW - 299)


@pytest.mark.parametrize(
    ("secret", "timestamp", "body", "now"),
    [
        pytest.param(SECRET, str(NOW), b'{"report_id":"R0000000X"}', NOW, id="tampered body"),
        pytest.param(SECRET, str(NOW + 1), b'{"report_id":"R7KQ2M9XA"}', NOW, id="other time"),
        pytest.param("guessed", str(NOW), b'{"report_id":"R7KQ2M9XA"}', NOW, id="wrong secret"),
        pytest.param(SECRET, str(NOW), b'{"report_id":"R7KQ2M9XA"}', NOW + 301, id="too old"),
        pytest.param(SECRET, str(NOW), b'{"report_id":"R7KQ2M9XA"}', NOW - 301, id="too new"),
        pytest.param(SECRET, "yesterday", b'{"report_id":"R7KQ2M9XA"}', NOW, id="bad timestamp"),
    ],
)
def test_a_signature_that_does_not_fit_is_rejected(
    secret: str, timestamp: str, body: bytes, now: int
) -> None:
    header = signature(SECRET, str(NOW), b'{"report_id":"R7KQ2M9XA"}')

    assert not verify_signature(secret, timestamp, body, header, now=now)


def test_a_malformed_signature_header_is_rejected() -> None:
    body = b"{}"
    digest = signature(SECRET, str(NOW), body).removeprefix("sha256=")

    assert not verify_signature(SECRET, str(NOW), body, digest, now=NOW)
    assert not verify_signature(SECRET, str(NOW), body, "sha256=zz", now=NOW)
    assert not verify_signature(SECRET, str(NOW), body, "sha256=ä", now=NOW)


async def test_request_carries_the_work_item_signed_with_event_id_and_timestamp() -> None:
    transport, requests = answering(204)
    item = a_work_item()

    await a_sender(transport).send(item, METHOD)

    [request] = requests
    assert request.method == "POST"
    assert str(request.url) == "https://licht.example/hooks/work"
    assert request.headers["Content-Type"] == "application/json"
    assert request.headers["X-Stadtmelder-Event-Id"] == item.event_id
    assert request.headers["X-Stadtmelder-Event-Type"] == item.type
    assert request.headers["X-Stadtmelder-Timestamp"] == str(NOW)
    assert verify_signature(
        SECRET,
        request.headers["X-Stadtmelder-Timestamp"],
        request.content,
        request.headers["X-Stadtmelder-Signature"],
        now=NOW,
    )
    assert json.loads(request.content) == item.model_dump(mode="json")


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
async def test_client_errors_are_permanent(status: int) -> None:
    transport, _ = answering(status)

    with pytest.raises(PermanentSendError, match=f"HTTP {status}"):
        await a_sender(transport).send(a_work_item(), METHOD)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503])
async def test_server_errors_and_please_wait_answers_are_retryable(status: int) -> None:
    transport, _ = answering(status)

    with pytest.raises(SendError) as raised:
        await a_sender(transport).send(a_work_item(), METHOD)
    assert not isinstance(raised.value, PermanentSendError)


async def test_timeouts_and_refused_connections_are_retryable() -> None:
    def time_out(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("read timed out", request=request)

    with pytest.raises(SendError, match="ReadTimeout") as raised:
        await a_sender(httpx.MockTransport(time_out)).send(a_work_item(), METHOD)
    assert not isinstance(raised.value, PermanentSendError)


async def test_missing_secret_is_a_permanent_failure_that_names_the_variable() -> None:
    transport, requests = answering(200)
    sender = WebhookSender(httpx.AsyncClient(transport=transport), environ={})

    with pytest.raises(PermanentSendError, match="LICHT_SECRET is not set"):
        await sender.send(a_work_item(), METHOD)
    assert requests == []


async def test_webhook_answering_500_500_200_is_delivered_on_the_third_attempt() -> None:
    transport, requests = answering(500, 500, 200)
    send_log = InMemorySendLog()
    dispatcher = Dispatcher(
        {"webhook": a_sender(transport)},
        send_log,
        RecordingPublisher(),
        policy=RetryPolicy(attempts=5, first_wait_s=0.001, max_wait_s=0.01),
    )

    [outcome] = await dispatcher.dispatch(a_work_item(), a_department(METHOD))

    assert (outcome.result, outcome.attempts) == ("delivered", 3)
    assert len(requests) == 3
    assert len({r.headers["X-Stadtmelder-Event-Id"] for r in requests}) == 1
    [send] = send_log.sends.values()
    assert (send.status, send.attempts, send.last_error) == (
        "delivered",
        3,
        "webhook answered HTTP 500",
    )


async def test_webhook_answering_400_fails_after_one_attempt_and_is_announced() -> None:
    transport, requests = answering(400, 200)
    publisher = RecordingPublisher()
    dispatcher = Dispatcher(
        {"webhook": a_sender(transport)},
        InMemorySendLog(),
        publisher,
        policy=RetryPolicy(attempts=5, first_wait_s=0.001, max_wait_s=0.01),
    )

    [outcome] = await dispatcher.dispatch(a_work_item(), a_department(METHOD))

    assert (outcome.result, outcome.attempts) == ("failed", 1)
    assert outcome.error == "webhook refused the work item with HTTP 400"
    assert len(requests) == 1
    assert len(publisher.published) == 1
