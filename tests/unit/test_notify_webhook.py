"""Apps that submitted a report hear about each of its steps on their webhook: once, signed
with their own secret, retried and dead-lettered like mail, and never named in a log line."""

import asyncio
import json
import logging
from datetime import UTC, datetime

import httpx
import pytest

from stadtmelder_notify.core.service import NotifyService
from stadtmelder_notify.delivery.app_webhooks import AppWebhookSender
from stadtmelder_notify.delivery.domain import (
    ChannelRefused,
    DeliveryFailed,
    DeliveryPolicy,
    WebhookCall,
)
from stadtmelder_notify.links import MailLinks
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.integrations.webhooks import url_problem
from stadtmelder_shared.backoff import NO_PAUSE
from stadtmelder_shared.event_values import AppWebhook, Location
from stadtmelder_shared.report_events import ReportSubmitted
from stadtmelder_shared.webhook_signatures import app_webhook_secret, verify_signature
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import valid_answers
from tests.fakes import (
    InMemoryChannelStore,
    InMemoryDeliveryLog,
    InMemoryFollowerStore,
    InMemoryReportRepository,
    RecordingDeadLetters,
    RecordingMailer,
    RecordingPublisher,
    RecordingWebhooks,
)
from tests.unit.test_notify_delivery import ANNA, KIT, REPORT, Clock, changed, routed, submitted
from tests.unit.test_reports_api import DUISBURG

HOOK = AppWebhook(client_id="a1b2c3", url="https://app.example.org/stadtmelder", secret_version=2)
MASTER = b"unit-test-link-secret-of-32-bytes!"


class Notify:
    """The service with in-memory adapters and an app's webhook."""

    def __init__(self, confirmation_wait_s: float = 0, **policy: object) -> None:
        self.clock = Clock()
        self.mailer = RecordingMailer()
        self.webhooks = RecordingWebhooks()
        self.channels = InMemoryChannelStore()
        self.publisher = RecordingPublisher()
        self.dead_letters = RecordingDeadLetters()
        self.service = NotifyService(
            InMemoryDeliveryLog(),
            InMemoryFollowerStore(),
            self.mailer,
            self.publisher,
            MailLinks("https://melder.example", MASTER),
            self.dead_letters,
            DeliveryPolicy(**{"pause": NO_PAUSE, **policy}),  # type: ignore[arg-type]
            clock=self.clock,
            wait_seconds=0,
            confirmation_wait_s=confirmation_wait_s,
            channels=self.channels,
            webhooks=self.webhooks,
            contacts=KIT.contacts,
        )

    def steps(self) -> list[str]:
        return [json.loads(call.body)["step"] for call in self.webhooks.calls]


def from_app(language: str = "en") -> ReportSubmitted:
    return submitted(language=language).model_copy(update={"app_webhook": HOOK})  # type: ignore[arg-type]


async def test_an_app_hears_each_step_once_however_often_its_events_arrive() -> None:
    notify = Notify()

    events = (from_app(), routed(), changed("acknowledged"), changed("in_progress"))
    for _ in range(2):  # every event redelivered once
        new, forwarded, acknowledged, started = events
        await notify.service.notify_submitted(new)
        await notify.service.notify_routed(forwarded)
        await notify.service.notify_status_changed(acknowledged)
        await notify.service.notify_status_changed(started)  # without a comment: skipped

    assert notify.steps() == ["submitted", "routed", "acknowledged"]
    assert {call.url for call in notify.webhooks.calls} == {HOOK.url}
    assert {call.secret_version for call in notify.webhooks.calls} == {2}
    told = [event for _, event in notify.publisher.published if event.report_id == REPORT]
    channels = sorted({(e.notification, e.channel) for e in told})  # type: ignore[attr-defined]
    assert ("routed", "webhook") in channels
    assert ("routed", "email") in channels
    ids = [json.loads(call.body)["id"] for call in notify.webhooks.calls]
    assert [call.notification_id for call in notify.webhooks.calls] == ids
    assert len(set(ids)) == 3


async def test_an_apps_message_speaks_the_reports_language_and_asks_for_feedback() -> None:
    notify = Notify()
    await notify.service.notify_submitted(from_app(language="tr"))
    await notify.service.notify_status_changed(changed("resolved", comment="Lamba değişti."))

    confirmation, resolved = (json.loads(call.body) for call in notify.webhooks.calls)
    assert confirmation["title"] == f"{REPORT} numaralı bildiriminizi aldık"
    assert confirmation["text"].startswith("“Laterne” bildiriminiz")
    assert resolved["language"] == "tr"
    assert resolved["public_comment"] == "Lamba değişti."
    answers = resolved["feedback"]["answers"]
    assert answers["not_fixed"]["label"] == "Hayır, giderilmedi"
    assert answers["not_fixed"]["url"].startswith("https://melder.example/api/v1/feedback/")
    assert answers["not_fixed"]["url"].endswith("&outcome=not_fixed")


async def test_an_app_hears_received_before_forwarded_even_if_routing_was_faster() -> None:
    notify = Notify(confirmation_wait_s=5.0)
    anonymous = submitted(address=None).model_copy(update={"app_webhook": HOOK})
    forwarded = routed().model_copy(update={"reporter": None})

    waiting = asyncio.create_task(notify.service.notify_routed(forwarded))
    await asyncio.sleep(0)  # routing's event is being handled first
    await notify.service.notify_submitted(anonymous)
    await waiting

    assert notify.steps() == ["submitted", "routed"]


async def test_a_report_submitted_without_an_app_sends_no_webhook() -> None:
    notify = Notify()
    await notify.service.notify_submitted(submitted())
    await notify.service.notify_routed(routed())
    assert notify.webhooks.calls == []
    assert len(notify.mailer.sent) == 2


async def test_a_failing_webhook_is_retried_then_dead_lettered_with_the_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    notify = Notify(max_failures=3)
    notify.webhooks.failures_left = 2
    caplog.set_level(logging.DEBUG)

    new, forwarded = from_app(), routed()
    for _ in range(2):
        with pytest.raises(DeliveryFailed, match="ChannelRefused 503"):
            await notify.service.notify_submitted(new)
    await notify.service.notify_submitted(new)
    assert notify.steps() == ["submitted"]
    assert [mail.to for mail in notify.mailer.sent] == [ANNA]  # mailed once, not three times

    notify.webhooks.failures_left = 3
    for _ in range(2):
        with pytest.raises(DeliveryFailed):
            await notify.service.notify_routed(forwarded)
    await notify.service.notify_routed(forwarded)  # the third failure gives up
    [(topic, event, reason)] = notify.dead_letters.parked
    assert (topic, event.type) == ("reports.routed", "org.stadtmelder.report.routed")
    assert "ChannelRefused 503" in reason
    assert "gave up a webhook message" in caplog.text
    logged = caplog.text + "".join(str(vars(record)) for record in caplog.records)
    assert "app.example.org" not in logged
    assert ANNA not in logged


async def test_an_app_that_stays_down_no_longer_holds_up_mail_and_is_retried_later() -> None:
    notify = Notify(max_failures=5, inline_failures=2)
    notify.webhooks.failures_left = 3
    new = from_app()

    with pytest.raises(DeliveryFailed):
        await notify.service.notify_submitted(new)
    # The second failure: the event is done with, and the message waits in the delivery log.
    await notify.service.notify_submitted(new)
    assert [mail.to for mail in notify.mailer.sent] == [ANNA]
    assert notify.steps() == []

    notify.clock.now = notify.clock.now.replace(hour=10)
    assert await notify.service.send_deferred() == 0  # fails a third time, waits longer
    assert await notify.service.send_deferred() == 0  # not due yet
    notify.clock.now = notify.clock.now.replace(hour=11)
    assert await notify.service.send_deferred() == 1
    assert await notify.service.send_deferred() == 0
    assert notify.steps() == ["submitted"]
    assert notify.dead_letters.parked == []


async def test_messages_to_an_app_about_one_report_keep_to_the_rate_limit() -> None:
    notify = Notify(mails_per_window=2)
    await notify.service.notify_submitted(from_app())
    await notify.service.notify_routed(routed())
    await notify.service.notify_status_changed(changed("acknowledged"))
    assert notify.steps() == ["submitted", "routed"]

    notify.clock.now = notify.clock.now.replace(hour=11)
    assert await notify.service.send_deferred() == 2  # the mail and the webhook message
    assert notify.steps() == ["submitted", "routed", "acknowledged"]


# --- the sender -----------------------------------------------------------------------------


async def test_a_webhook_request_is_signed_with_the_apps_own_secret() -> None:
    seen: list[httpx.Request] = []

    def app(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(204)

    now = 1_790_000_000.0
    async with httpx.AsyncClient(transport=httpx.MockTransport(app)) as client:
        sender = AppWebhookSender(client, MASTER, clock=lambda: now)
        await sender.send(WebhookCall(HOOK.url, HOOK.client_id, 2, "n-1", '{"step":"routed"}'))

    [request] = seen
    headers = request.headers
    secret = app_webhook_secret(MASTER, HOOK.client_id, 2)
    signed = headers["X-Stadtmelder-Signature"]
    timestamp = headers["X-Stadtmelder-Timestamp"]
    assert verify_signature(secret, timestamp, request.content, signed, now=now)
    older = app_webhook_secret(MASTER, HOOK.client_id, 1)
    assert not verify_signature(older, timestamp, request.content, signed, now=now)
    other_app = app_webhook_secret(MASTER, "d4e5f6", 2)
    assert not verify_signature(other_app, timestamp, request.content, signed, now=now)
    assert headers["X-Stadtmelder-Event-Id"] == "n-1"
    assert headers["Content-Type"] == "application/json"


@pytest.mark.parametrize("status", [301, 404, 500])
async def test_any_answer_but_success_is_a_refusal_with_its_status(status: int) -> None:
    def app(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Location": "https://elsewhere.example"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(app)) as client:
        sender = AppWebhookSender(client, MASTER)
        with pytest.raises(ChannelRefused) as refused:
            await sender.send(WebhookCall(HOOK.url, HOOK.client_id, 1, "n-1", "{}"))
    assert refused.value.code == status


# --- registration in reports ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "local", "problem"),
    [
        ("https://app.example.org/hook", False, None),
        ("http://127.0.0.1:9000/hook", True, None),
        ("http://app.example.org/hook", False, "Use https://"),
        ("ftp://app.example.org/hook", False, "absolute https:// URL"),
        ("/hook", True, "absolute https:// URL"),
        ("https://user:pw@app.example.org/hook", False, "no user name"),
        ("https://app.example.org/" + "x" * 3000, False, "longer than"),
    ],
)
def test_a_webhook_url_must_be_absolute_and_encrypted_outside_a_local_deployment(
    url: str, local: bool, problem: str | None
) -> None:
    found = url_problem(url, allow_plain_http=local)
    if problem is None:
        assert found is None
    else:
        assert found is not None
        assert problem in found


class Lookup:
    def __init__(self, hooks: dict[str, AppWebhook]) -> None:
        self.hooks = hooks

    async def webhook_of(self, client_id: str) -> AppWebhook | None:
        return self.hooks.get(client_id)


@pytest.mark.parametrize(("client_id", "carried"), [("a1b2c3", HOOK), ("zzz", None), (None, None)])
async def test_a_report_carries_the_webhook_of_the_app_it_came_from(
    client_id: str | None, carried: AppWebhook | None
) -> None:
    repository = InMemoryReportRepository()
    service = ReportService(
        repository,
        DUISBURG,
        app_webhooks=Lookup({HOOK.client_id: HOOK}),
        data_keys=InMemoryDataKeys(),
    )
    category = DUISBURG.category("street_light_out")
    assert category is not None
    new = await service.submit_report(
        Submission(
            category="street_light_out",
            description="Laterne dunkel",
            location=Location(lat=51.4344, lon=6.7623),
            answers=valid_answers(category),
            client_id=client_id,
        )
    )
    [(_, event)] = new.report.pending_events
    assert isinstance(event, ReportSubmitted)
    assert event.app_webhook == carried
    assert datetime.now(UTC) >= event.occurred_at
