"""Browsers that subscribed to a report get each step as a Web Push message only they can read,
signed with our VAPID key; a subscription the push service calls gone is forgotten."""

import base64
import json
import logging
import os
from datetime import UTC
from pathlib import Path
from typing import Any

import http_ece
import httpx
import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from stadtmelder_notify.core.channel_messages import notification
from stadtmelder_notify.core.choices import FollowerChoices
from stadtmelder_notify.core.service import NotifyService
from stadtmelder_notify.delivery.channels import create_channels
from stadtmelder_notify.delivery.domain import (
    ChannelRefused,
    DeliveryPolicy,
    PushMessage,
    RecipientGone,
)
from stadtmelder_notify.delivery.web_push import WebPushSender
from stadtmelder_notify.links import MailLinks
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_reports.integrations.push import subscription_problems
from stadtmelder_reports.integrations.push_api import SubscriptionIn, SubscriptionKeys
from stadtmelder_shared.backoff import NO_PAUSE
from stadtmelder_shared.citizen_events import PushSubscriptionChanged
from stadtmelder_shared.event_values import PushSubscription
from stadtmelder_shared.vapid import ensure_development_key, private_key_from, public_key_text
from tests.fakes import (
    InMemoryChannelStore,
    InMemoryDeliveryLog,
    InMemoryFollowerStore,
    RecordingDeadLetters,
    RecordingMailer,
    RecordingPublisher,
    RecordingPush,
)
from tests.unit.test_notify_delivery import KIT, REPORT, Clock, changed, routed, submitted

ENDPOINT = "https://push.example.net/send/abc123"
LINKS = MailLinks("https://melder.example", b"unit-test-link-secret-of-32-bytes!")


class Browser:
    """What a browser keeps of its subscription: the key pair and the auth secret."""

    def __init__(self, endpoint: str = ENDPOINT) -> None:
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.auth = os.urandom(16)
        self.endpoint = endpoint

    @property
    def subscription(self) -> PushSubscription:
        point = self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
        return PushSubscription(
            endpoint=self.endpoint, p256dh=b64url(point), auth=b64url(self.auth)
        )

    def read(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth)
        found: dict[str, Any] = json.loads(plain)
        return found


class Notify:
    def __init__(self, **policy: object) -> None:
        self.clock = Clock()
        self.push = RecordingPush()
        self.channels = InMemoryChannelStore()
        self.deliveries = InMemoryDeliveryLog()
        self.dead_letters = RecordingDeadLetters()
        self.publisher = RecordingPublisher()
        followers = InMemoryFollowerStore()
        self.service = NotifyService(
            self.deliveries,
            followers,
            RecordingMailer(),
            self.publisher,
            LINKS,
            self.dead_letters,
            DeliveryPolicy(**{"pause": NO_PAUSE, **policy}),  # type: ignore[arg-type]
            clock=self.clock,
            wait_seconds=0,
            confirmation_wait_s=0,
            channels=self.channels,
            push=self.push,
            contacts=KIT.contacts,
        )
        self.choices = FollowerChoices(followers, self.channels)

    async def subscribe(self, browser: Browser, subscribed: bool = True) -> bool:
        return await self.choices.change_push_subscription(
            PushSubscriptionChanged(
                report_id=REPORT,
                jurisdiction="duisburg",
                subscription=browser.subscription,
                subscribed=subscribed,
                language="en",
            )
        )

    def steps(self) -> list[str]:
        return [json.loads(message.body)["step"] for message in self.push.messages]


async def test_a_subscribed_browser_gets_each_later_step_once() -> None:
    notify = Notify()
    await notify.service.notify_submitted(submitted())
    assert await notify.subscribe(Browser())
    events = (routed(), changed("acknowledged"), changed("resolved", comment="Neue Lampe."))
    for _ in range(2):  # redelivered
        await notify.service.notify_routed(events[0])
        for event in events[1:]:
            await notify.service.notify_status_changed(event)

    assert notify.steps() == ["routed", "acknowledged", "resolved"]
    resolved = json.loads(notify.push.messages[-1].body)
    assert resolved["title"] == f"Your report {REPORT} has been resolved"
    assert resolved["public_comment"] == "Neue Lampe."
    assert resolved["feedback"]["form_url"].startswith("https://melder.example/api/v1/feedback/")
    assert "answers" not in resolved["feedback"]  # a notification opens the form
    told = {
        (e.notification, e.channel)  # type: ignore[attr-defined]
        for _, e in notify.publisher.published
    }
    assert ("acknowledged", "web_push") in told


async def test_a_gone_subscription_is_forgotten_without_a_dead_letter() -> None:
    notify = Notify()
    browser = Browser()
    await notify.subscribe(browser)
    notify.push.gone.add(browser.endpoint)

    await notify.service.notify_status_changed(changed("acknowledged"))
    await notify.service.notify_status_changed(changed("rejected"))

    assert await notify.channels.subscribers(REPORT) == []
    assert notify.dead_letters.parked == []
    assert [d.last_error for d in notify.deliveries.deliveries.values()] == ["recipient gone"]


async def test_an_unsubscribed_browser_hears_nothing_more() -> None:
    notify = Notify()
    browser = Browser()
    await notify.subscribe(browser)
    await notify.service.notify_status_changed(changed("acknowledged"))
    assert await notify.subscribe(browser, subscribed=False)
    assert not await notify.subscribe(browser, subscribed=False)
    await notify.service.notify_status_changed(changed("resolved"))
    assert notify.steps() == ["acknowledged"]


async def test_one_report_is_pushed_to_at_most_ten_browsers() -> None:
    notify = Notify()
    browsers = [Browser(f"{ENDPOINT}/{n}") for n in range(11)]
    assert [await notify.subscribe(b) for b in browsers] == [True] * 10 + [False]
    assert await notify.subscribe(browsers[0])  # a known browser may subscribe again
    await notify.service.notify_status_changed(changed("acknowledged"))
    assert len(notify.push.messages) == 10


async def test_a_browser_over_its_limit_waits_and_an_unsubscription_meanwhile_drops_it() -> None:
    notify = Notify(mails_per_window=1)
    browser = Browser()
    await notify.subscribe(browser)
    await notify.service.notify_status_changed(changed("acknowledged"))
    await notify.service.notify_status_changed(changed("rejected"))
    assert notify.steps() == ["acknowledged"]

    await notify.subscribe(browser, subscribed=False)
    notify.clock.now = notify.clock.now.replace(hour=11)
    assert await notify.service.send_deferred() == 0
    assert notify.steps() == ["acknowledged"]
    assert "opted out" in [d.last_error for d in notify.deliveries.deliveries.values()]


# --- the sender -----------------------------------------------------------------------------


async def test_a_push_message_is_readable_by_the_browser_and_signed_for_the_push_service() -> None:
    vapid = ec.generate_private_key(ec.SECP256R1())
    browser = Browser()
    seen: list[httpx.Request] = []

    def push_service(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(201)

    body = notification(changed("acknowledged"), "acknowledged", "n-1", "push:x", "de", LINKS, UTC)
    assert body is not None
    subscription = browser.subscription
    async with httpx.AsyncClient(transport=httpx.MockTransport(push_service)) as client:
        sender = WebPushSender(client, vapid, "mailto:ops@duisburg.example")
        await sender.send(
            PushMessage(subscription.endpoint, subscription.p256dh, subscription.auth, "n-1", body)
        )

    [request] = seen
    assert browser.read(request.content)["title"] == f"Ihre Meldung {REPORT} wird bearbeitet"
    assert request.headers["Content-Encoding"] == "aes128gcm"
    assert body.encode() not in request.content
    scheme, _, credentials = request.headers["Authorization"].partition(" ")
    parts = dict(part.split("=", 1) for part in credentials.split(","))
    assert scheme == "vapid"
    assert parts["k"] == public_key_text(vapid)
    claims = jwt.decode(
        parts["t"], vapid.public_key(), algorithms=["ES256"], audience="https://push.example.net"
    )
    assert claims["sub"] == "mailto:ops@duisburg.example"


@pytest.mark.parametrize(("status", "error"), [(410, RecipientGone), (404, RecipientGone)])
async def test_a_push_service_that_no_longer_knows_the_subscription_means_it_is_gone(
    status: int, error: type[Exception]
) -> None:
    await _answer(status, error)


async def test_a_push_service_refusing_for_another_reason_is_a_failure_to_retry() -> None:
    await _answer(429, ChannelRefused)


async def _answer(status: int, error: type[Exception]) -> None:
    def push_service(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status)

    subscription = Browser().subscription
    message = PushMessage(subscription.endpoint, subscription.p256dh, subscription.auth, "n", "{}")
    async with httpx.AsyncClient(transport=httpx.MockTransport(push_service)) as client:
        sender = WebPushSender(client, ec.generate_private_key(ec.SECP256R1()), "mailto:a@b.de")
        with pytest.raises(error):
            await sender.send(message)


async def test_no_push_endpoint_reaches_the_logs(
    caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    settings = NotifySettings(vapid_key_file=tmp_path / "vapid.pem")
    channels = create_channels(settings)
    await channels.close()
    caplog.set_level(logging.DEBUG)

    def push_service(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201)

    subscription = Browser().subscription
    message = PushMessage(subscription.endpoint, subscription.p256dh, subscription.auth, "n", "{}")
    async with httpx.AsyncClient(transport=httpx.MockTransport(push_service)) as client:
        sender = WebPushSender(
            client, ensure_development_key(settings.vapid_key_file), "mailto:a@b.de"
        )
        await sender.send(message)
    assert "push.example.net" not in caplog.text


# --- keys and subscriptions ----------------------------------------------------------------


def test_the_development_key_is_made_once_and_read_alike_as_pem_or_base64url(
    tmp_path: Path,
) -> None:
    path = tmp_path / "var" / "vapid.pem"
    first = ensure_development_key(path)
    assert public_key_text(ensure_development_key(path)) == public_key_text(first)
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    number = first.private_numbers().private_value.to_bytes(32, "big")
    assert public_key_text(private_key_from(b64url(number))) == public_key_text(first)
    with pytest.raises(ValueError, match="32 bytes"):
        private_key_from(b64url(b"short"))


def problems_of(subscription: SubscriptionIn, allow_plain_http: bool) -> list[dict[str, str]]:
    keys = subscription.keys
    return subscription_problems(subscription.endpoint, keys.p256dh, keys.auth, allow_plain_http)


def test_a_browser_subscription_with_broken_keys_or_endpoint_is_refused_by_field() -> None:
    good = Browser().subscription
    keys = SubscriptionKeys(p256dh=good.p256dh, auth=good.auth)
    assert problems_of(SubscriptionIn(endpoint=ENDPOINT, keys=keys), False) == []
    plain = SubscriptionIn(endpoint="http://push.example.net/x", keys=keys)
    assert [p["key"] for p in problems_of(plain, False)] == ["subscription.endpoint"]
    assert problems_of(plain, allow_plain_http=True) == []
    for inside in ("https://10.0.0.7/x", "https://[::1]/x", "https://kafka/x", "https://a.local/x"):
        internal = SubscriptionIn(endpoint=inside, keys=keys)
        assert [p["message"] for p in problems_of(internal, False)] == [
            "This is not a push service's address."
        ]
    broken = SubscriptionIn(
        endpoint=ENDPOINT, keys=SubscriptionKeys(p256dh=b64url(b"\x04" + b"1" * 64), auth="!!")
    )
    assert [p["key"] for p in problems_of(broken, False)] == [
        "subscription.keys.p256dh",
        "subscription.keys.auth",
    ]


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
