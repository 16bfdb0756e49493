"""Notify's store of apps and push subscriptions, against its in-memory fake (same contract),
and deferred webhook and push messages through the real delivery log."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stadtmelder_notify.core.store import MongoChannelStore, ReportApp, Subscriber
from stadtmelder_notify.delivery.domain import Message, PendingMail, PushMessage, WebhookCall
from stadtmelder_notify.delivery.repository import MongoDeliveryLog
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import CitizenNotified
from stadtmelder_shared.event_values import AppWebhook, CategoryRef, PushSubscription
from stadtmelder_shared.report_events import ReportSubmitted
from tests.fakes import InMemoryChannelStore, InMemoryDeliveryLog

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
HOOK = AppWebhook(client_id="a1b2c3", url="https://app.example.org/hook", secret_version=3)
BROWSER = PushSubscription(endpoint="https://push.example.net/s/1", p256dh="BPk", auth="au")
OTHER = PushSubscription(endpoint="https://push.example.net/s/2", p256dh="BQk", auth="av")


@pytest.fixture
def channels(database: Any) -> Any:
    return InMemoryChannelStore() if database is None else MongoChannelStore(database)


async def test_the_app_of_a_report_is_remembered_with_its_language(channels: Any) -> None:
    await channels.remember_submission("R-1", HOOK, "tr")
    await channels.remember_submission("R-2", None, "de")

    assert await channels.app_of("R-1") == ReportApp(HOOK, "tr")
    assert await channels.app_of("R-2") is None
    assert await channels.app_of("R-3") is None


async def test_later_steps_wait_until_the_submission_was_told(channels: Any) -> None:
    await channels.remember_submission("R-1", HOOK, "de")
    assert not await channels.is_submission_told("R-1")
    await channels.mark_submission_told("R-1")
    assert await channels.is_submission_told("R-1")
    assert not await channels.is_submission_told("R-2")


async def test_browsers_subscribe_per_report_once_and_unsubscribe(channels: Any) -> None:
    await channels.subscribe("R-1", BROWSER, "de")
    await channels.subscribe("R-1", BROWSER, "en")  # the page asked again, in English
    await channels.subscribe("R-1", OTHER, "tr")
    await channels.subscribe("R-2", BROWSER, "de")

    found = sorted(await channels.subscribers("R-1"), key=lambda s: s.subscription.endpoint)
    assert found == [Subscriber(BROWSER, "en"), Subscriber(OTHER, "tr")]
    assert await channels.is_subscribed("R-1", BROWSER.endpoint)

    assert await channels.unsubscribe("R-1", BROWSER.endpoint)
    assert not await channels.unsubscribe("R-1", BROWSER.endpoint)
    assert not await channels.is_subscribed("R-1", BROWSER.endpoint)
    assert await channels.subscribers("R-1") == [Subscriber(OTHER, "tr")]
    assert await channels.subscribers("R-2") == [Subscriber(BROWSER, "de")]


@pytest.fixture
def deliveries(database: Any) -> Any:
    return InMemoryDeliveryLog() if database is None else MongoDeliveryLog(database)


@pytest.mark.parametrize(
    "message",
    [
        WebhookCall(HOOK.url, HOOK.client_id, 3, "n-1", '{"step":"submitted"}'),
        PushMessage(BROWSER.endpoint, BROWSER.p256dh, BROWSER.auth, "n-1", '{"step":"x"}'),
    ],
)
async def test_a_deferred_app_or_push_message_comes_back_as_it_was_kept(
    deliveries: Any, message: Message
) -> None:
    channel = "webhook" if isinstance(message, WebhookCall) else "web_push"
    event = ReportSubmitted(
        report_id="R-1",
        jurisdiction="duisburg",
        category=CategoryRef(code="graffiti", names={"de": "Graffiti"}),
        description="Graffiti",
        location=None,
        address="Königstraße 1",
        app_webhook=HOOK,
    )
    pending = PendingMail(
        key=f"k-{channel}",
        mail=message,
        language="de",
        recipient="limit-key",
        follower="follower-key",
        topic=topics.REPORTS_SUBMITTED,
        cause=event,
        notified=CitizenNotified(
            report_id="R-1",
            jurisdiction="duisburg",
            channel=channel,
            notification="submitted",
            caused_by=event.event_id,
        ),
        channel=channel,  # type: ignore[arg-type]
    )
    await deliveries.claim(pending.key, NOW, NOW + timedelta(seconds=15))
    await deliveries.defer(pending, NOW)

    assert await deliveries.take_deferred(pending.key, NOW, NOW + timedelta(seconds=15)) == pending
