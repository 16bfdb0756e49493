"""Apps and browsers hear about their reports on the running system, through real HTTP servers
started here: an app's webhook that checks every signature, and a push service that checks the
VAPID token and decrypts each message with the browser's key, as a browser would."""

import base64
import json
import os
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import http_ece
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from pymongo import AsyncMongoClient

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.integrations.api_keys import MongoApiKeyStore
from stadtmelder_shared.webhook_signatures import verify_signature
from tests.conftest import LocalSystem
from tests.e2e import test_notify_loop as mail_loop
from tests.e2e.test_notify_loop import an_address, step, submit
from tests.examples import valid_answers
from tests.local_servers import served
from tests.system import wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()
clerk = mail_loop.clerk  # the fixture: a clerk of the street lights


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes
    answered: int


@dataclass
class Receiver:
    """An HTTP server on a free loopback port that records every request and answers 503 to
    the first `failing` ones, 410 on `gone` paths and 201 otherwise."""

    failing: int = 0
    gone: set[str] = field(default_factory=set)
    requests: list[Received] = field(default_factory=list)
    origin: str = ""

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        assert scope["type"] == "http"
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if scope["path"] in self.gone:
            status = 410
        elif self.failing:
            self.failing -= 1
            status = 503
        else:
            status = 201
        headers = {k.decode().lower(): v.decode() for k, v in scope["headers"]}
        self.requests.append(Received(scope["path"], headers, body, status))
        await send({"type": "http.response.start", "status": status, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    def accepted(self, path: str) -> list[Received]:
        return [r for r in self.requests if r.path == path and r.answered == 201]


@pytest.fixture
async def receiver() -> AsyncIterator[Receiver]:
    app = Receiver()
    async with served(app, lifespan="off", ws="none", log_level="warning") as origin:
        app.origin = origin
        yield app


@pytest.fixture
async def api(running_system: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as client:
        yield client


@pytest.fixture
async def mongo(running_system: LocalSystem) -> AsyncIterator[AsyncMongoClient[dict[str, Any]]]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        running_system.mongodb_url, tz_aware=True
    )
    try:
        yield client
    finally:
        await client.close()


async def an_app_key(mongo: AsyncMongoClient[dict[str, Any]]) -> str:
    store = MongoApiKeyStore(mongo["stadtmelder_reports"])
    _, key = await store.create(f"channels e2e {uuid.uuid4().hex[:6]}", 1000, datetime.now(UTC))
    return key


async def submit_through_app(api: httpx.AsyncClient, key: str) -> str:
    category = DUISBURG.category("street_light_out")
    assert category is not None
    form: dict[str, Any] = {
        "api_key": key,
        "jurisdiction_id": "duisburg.de",
        "service_code": "street_light_out",
        "lat": "51.4344",
        "long": "6.7623",
        "description": f"Laterne dunkel, gemeldet per App ({uuid.uuid4().hex[:6]}).",
        "email": an_address(),
    }
    for question, answer in valid_answers(category).items():
        if isinstance(answer, list):
            form[f"attribute[{question}][]"] = answer
        else:
            form[f"attribute[{question}]"] = str(answer)
    response = await api.post("/open311/v2/requests.json", data=form)
    assert response.status_code == 200, response.text
    return str(response.json()[0]["service_request_id"])


async def test_an_app_hears_each_step_once_signed_even_when_its_webhook_failed_first(
    api: httpx.AsyncClient,
    clerk: dict[str, str],
    receiver: Receiver,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    key = await an_app_key(mongo)
    hook = f"/hooks/{uuid.uuid4().hex}"
    registered = await api.put(
        "/api/v1/apps/webhook", json={"url": receiver.origin + hook}, headers={"X-Api-Key": key}
    )
    assert registered.status_code == 200, registered.text
    secret = registered.json()["secret"]
    receiver.failing = 2  # the app's server is down for the first two messages

    report_id = await submit_through_app(api, key)

    async def steps(count: int) -> list[dict[str, Any]] | None:
        found = [json.loads(r.body) for r in receiver.accepted(hook)]
        return found if len(found) >= count else None

    await wait_until(lambda: steps(2), timeout=60, what="submitted and routed at the app")
    await step(api, clerk, report_id, "acknowledged")
    await step(api, clerk, report_id, "in_progress")  # without a comment: nobody is told
    await step(api, clerk, report_id, "resolved", public_comment="Leuchtmittel getauscht.")
    await wait_until(lambda: steps(4), timeout=60, what="four messages at the app")

    async def recorded() -> bool:
        view = (await api.get(f"/api/v1/reports/{report_id}")).json()
        return ("resolved", "webhook") in {(n["step"], n["channel"]) for n in view["notified"]}

    await wait_until(recorded, what="the resolved message in the report's history")
    accepted = receiver.accepted(hook)
    messages = [json.loads(r.body) for r in accepted]
    assert [m["step"] for m in messages] == ["submitted", "routed", "acknowledged", "resolved"]
    assert {m["report_id"] for m in messages} == {report_id}
    assert len({m["id"] for m in messages}) == 4
    assert [r.answered for r in receiver.requests if r.path == hook][:2] == [503, 503]
    for request in accepted:
        assert verify_signature(
            secret,
            request.headers["x-stadtmelder-timestamp"],
            request.body,
            request.headers["x-stadtmelder-signature"],
        )
        assert request.headers["x-stadtmelder-event-id"] == json.loads(request.body)["id"]
    resolved = messages[3]
    assert resolved["public_comment"] == "Leuchtmittel getauscht."
    assert resolved["department"]["id"] == "stadt-licht"
    assert set(resolved["feedback"]["answers"]) == {"fixed", "partly", "not_fixed"}
    shown = await api.get(resolved["feedback"]["answers"]["not_fixed"]["url"])
    assert shown.status_code == 200, shown.text


async def test_a_browser_reads_each_pushed_step_and_a_gone_subscription_is_forgotten(
    api: httpx.AsyncClient,
    clerk: dict[str, str],
    receiver: Receiver,
    mongo: AsyncMongoClient[dict[str, Any]],
) -> None:
    new = await submit(api, an_address(), "en")
    report_id, tracking_token = new["id"], new["tracking_token"]
    # The page subscribes once the report is with the department, so the steps pushed are
    # exactly the department's.
    await wait_until(lambda: told(api, report_id, "routed"), timeout=60, what="the routed mail")
    browser = ec.generate_private_key(ec.SECP256R1())
    auth = os.urandom(16)
    path = f"/push/{uuid.uuid4().hex}"
    subscribed = await api.post(
        "/api/v1/push/subscriptions",
        json={
            "tracking_token": tracking_token,
            "language": "en",
            "subscription": {
                "endpoint": receiver.origin + path,
                "expirationTime": None,
                "keys": {"p256dh": b64url(public_point(browser)), "auth": b64url(auth)},
            },
        },
    )
    assert subscribed.status_code == 201, subscribed.text
    channels = mongo["stadtmelder_notify"]["report_channels"]

    async def stored() -> int:
        # A report's browsers are a map in its document of channels.
        document = await channels.find_one({"_id": report_id}) or {}
        return len(document.get("push") or {})

    await wait_until(stored, what="notify to keep the subscription")

    await step(api, clerk, report_id, "acknowledged")
    [pushed] = await wait_until(
        lambda: _async(receiver.accepted(path)), timeout=60, what="a push message"
    )

    public_key = (await api.get("/api/v1/push/public-key")).json()["public_key"]
    scheme, _, credentials = pushed.headers["authorization"].partition(" ")
    parts = dict(part.split("=", 1) for part in credentials.split(","))
    assert scheme == "vapid"
    assert parts["k"] == public_key
    claims = jwt.decode(
        parts["t"],
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b64decode(public_key)),
        algorithms=["ES256"],
        audience=receiver.origin,
    )
    assert claims["sub"].startswith("mailto:")
    assert pushed.headers["content-encoding"] == "aes128gcm"
    assert int(pushed.headers["ttl"]) > 0
    message = json.loads(
        http_ece.decrypt(pushed.body, private_key=browser, auth_secret=auth, version="aes128gcm")
    )
    assert message["step"] == "acknowledged"
    assert message["title"] == f"Your report {report_id} is being handled"
    assert message["report_id"] == report_id

    receiver.gone.add(path)  # the browser withdrew its subscription at the push service
    await step(api, clerk, report_id, "in_progress", public_comment="Wir kommen am Montag.")

    async def forgotten() -> bool:
        return await stored() == 0

    await wait_until(forgotten, timeout=60, what="notify to forget the gone subscription")
    await step(api, clerk, report_id, "resolved")
    await wait_until(lambda: told(api, report_id, "resolved"), timeout=60, what="the resolved mail")
    assert [r.answered for r in receiver.requests if r.path == path] == [201, 410]


async def test_a_subscription_without_a_valid_tracking_token_or_key_is_refused(
    api: httpx.AsyncClient,
) -> None:
    browser = ec.generate_private_key(ec.SECP256R1())
    subscription = {
        "endpoint": "https://push.example.org/abc",
        "keys": {"p256dh": b64url(public_point(browser)), "auth": b64url(os.urandom(16))},
    }
    unknown = await api.post(
        "/api/v1/push/subscriptions",
        json={"tracking_token": "not-a-token", "subscription": subscription},
    )
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "tracking_token_unknown"

    broken = {**subscription, "keys": {"p256dh": "AAAA", "auth": "short"}}
    refused = await api.post(
        "/api/v1/push/subscriptions", json={"tracking_token": "x", "subscription": broken}
    )
    assert refused.status_code == 400
    fields = {error["field"] for error in refused.json()["errors"]}
    assert fields == {"subscription.keys.p256dh", "subscription.keys.auth"}


async def test_registering_a_webhook_needs_a_valid_api_key(api: httpx.AsyncClient) -> None:
    response = await api.put(
        "/api/v1/apps/webhook",
        json={"url": "https://app.example.org/hook"},
        headers={"X-Api-Key": "abc.def"},
    )
    assert response.status_code == 403
    assert "X-Api-Key" in response.json()["detail"]


async def told(api: httpx.AsyncClient, report_id: str, step: str) -> bool:
    """Whether the report's history shows that someone was told about `step`."""
    view = (await api.get(f"/api/v1/reports/{report_id}")).json()
    return step in [notice["step"] for notice in view["notified"]]


async def test_an_app_sees_its_webhook_without_the_secret_and_can_remove_it(
    api: httpx.AsyncClient, mongo: AsyncMongoClient[dict[str, Any]]
) -> None:
    headers = {"X-Api-Key": await an_app_key(mongo)}
    refused = await api.put(
        "/api/v1/apps/webhook", json={"url": "ftp://app.example.org/hook"}, headers=headers
    )
    assert refused.status_code == 400
    assert [error["field"] for error in refused.json()["errors"]] == ["url"]
    assert (await api.get("/api/v1/apps/webhook", headers=headers)).status_code == 404

    first = await api.put(
        "/api/v1/apps/webhook", json={"url": "https://app.example.org/hook"}, headers=headers
    )
    second = await api.put(
        "/api/v1/apps/webhook", json={"url": "https://app.example.org/v2"}, headers=headers
    )
    assert second.json()["secret_version"] == first.json()["secret_version"] + 1
    assert second.json()["secret"] != first.json()["secret"]
    shown = (await api.get("/api/v1/apps/webhook", headers=headers)).json()
    assert shown["url"] == "https://app.example.org/v2"
    assert "secret" not in shown

    assert (await api.delete("/api/v1/apps/webhook", headers=headers)).status_code == 204
    assert (await api.get("/api/v1/apps/webhook", headers=headers)).status_code == 404


def public_point(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


async def _async(value: list[Received]) -> list[Received]:
    return value
