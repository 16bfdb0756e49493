"""The public side of area alerts: subscribe, validate, confirm and cancel by link, relay; each
link's step applied in place, and sent as a command to the subscription's owner (in memory)."""

import hashlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from litestar import Litestar
from litestar.di import Provide
from litestar.testing import AsyncTestClient

from stadtmelder_reports.alerts.api import AlertsController
from stadtmelder_reports.alerts.service import AlertService
from stadtmelder_reports.alerts.store import AlertOutbox, load_districts
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.outbox import OutboxRelay
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.web.error_pages import PAGE_EXCEPTION_HANDLERS
from stadtmelder_reports.web.routes import web_template_config
from stadtmelder_shared import topics
from stadtmelder_shared.alert_events import (
    AreaAlertCancelled,
    AreaAlertConfirmed,
    AreaAlertRequested,
)
from stadtmelder_shared.sealing import Purpose, Sealed, open_sealed
from tests.alert_fakes import InMemoryAlertStore
from tests.command_fakes import Loopback
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import DUESSELDORF_ALTSTADT, KOENIGSTRASSE
from tests.fakes import RecordingPublisher

DUISBURG = load_jurisdiction()
DISTRICTS = load_districts()
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
NEAR_KOENIGSTRASSE = {
    "email": "nachbarin@example.org",
    "lat": KOENIGSTRASSE[0],
    "lon": KOENIGSTRASSE[1],
    "radius_m": 300,
}


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


class Alerts:
    def __init__(self, per_minute: int = 100, commands: Loopback | None = None) -> None:
        self.store = InMemoryAlertStore()
        self.clock = Clock()
        self.woken: list[str] = []
        self.keys = InMemoryDataKeys()
        self.service = AlertService(
            self.store,
            DUISBURG,
            DISTRICTS,
            on_events_pending=self.wake,
            clock=self.clock,
            data_keys=self.keys,
            commands=commands.asker if commands else None,
        )
        self.commands = commands
        if commands is not None:
            commands.owner.applies("alert-step", self.service.apply_command)
        self.limiter = SubmissionLimiter(per_minute)

    def opened(self, sealed: Sealed, purpose: Purpose) -> str:
        """A sealed field of the request, opened as notify would."""
        return open_sealed(self.keys.keys[sealed.key_id], sealed, purpose)

    def wake(self, subscription_id: str) -> None:
        self.woken.append(subscription_id)

    def app(self) -> Litestar:
        return Litestar(
            route_handlers=[AlertsController],
            dependencies={
                "alerts": Provide(lambda: self.service, sync_to_thread=False),
                "limiter": Provide(lambda: self.limiter, sync_to_thread=False),
            },
            exception_handlers=PAGE_EXCEPTION_HANDLERS,
            logging_config=None,
            template_config=web_template_config(),
        )

    def events(self) -> list[Any]:
        return [e for s in self.store.subscriptions.values() for _, e in s.pending_events]

    def the_request(self) -> AreaAlertRequested:
        [request] = [e for e in self.events() if isinstance(e, AreaAlertRequested)]
        return request

    def sent(self) -> list[tuple[str, str]]:
        """The commands sent to the owner: the subscription each names, and its step."""
        held = self.commands.held if self.commands else []
        return [(c.report_id, getattr(c.action, "step", "")) for c in held]


@pytest.fixture(params=["in place", "as commands"])
def alerts(request: pytest.FixtureRequest) -> Alerts:
    """The links' steps applied here, or by the subscription's owner as commands."""
    return Alerts(commands=Loopback(wait_seconds=5.0) if request.param == "as commands" else None)


@pytest.fixture
async def client(alerts: Alerts) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(alerts.app()) as client:
        yield client


async def subscribed(client: Any, alerts: Alerts, **changes: Any) -> str:
    response = await client.post("/api/v1/alerts", json={**NEAR_KOENIGSTRASSE, **changes})
    assert response.status_code == 202, response.text
    return alerts.opened(alerts.the_request().confirm_token, "alert_confirm_token")


# --- subscribing --------------------------------------------------------------------------------


async def test_a_request_is_accepted_and_asks_notify_for_the_confirmation_mail(
    client: Any, alerts: Alerts
) -> None:
    response = await client.post(
        "/api/v1/alerts",
        json={
            "email": "nachbarin@example.org",
            "language": "tr",
            "district": "district-500",
            "category": "street_light_out",
            "frequency": "daily",
        },
    )

    assert response.status_code == 202
    assert response.json()["status"] == "confirmation_sent"
    [(topic, event)] = next(iter(alerts.store.subscriptions.values())).pending_events
    assert topic == topics.AREA_ALERTS
    assert isinstance(event, AreaAlertRequested)
    assert "nachbarin@example.org" not in event.model_dump_json()
    email = alerts.opened(event.email, "alert_email")
    assert (email, event.language, event.frequency) == (
        "nachbarin@example.org",
        "tr",
        "daily",
    )
    assert (event.district, event.centre, event.category) == (
        "district-500",
        None,
        "street_light_out",
    )
    assert event.category_names["tr"] == DUISBURG.category("street_light_out").names["tr"]  # type: ignore[union-attr]
    token = alerts.opened(event.confirm_token, "alert_confirm_token")
    assert event.confirm_token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert event.report_id.startswith("alert-")
    assert alerts.woken == [event.report_id]


async def test_the_answer_is_the_same_whether_or_not_the_address_is_subscribed(
    client: Any, alerts: Alerts
) -> None:
    first = await client.post("/api/v1/alerts", json=NEAR_KOENIGSTRASSE)
    second = await client.post("/api/v1/alerts", json=NEAR_KOENIGSTRASSE)

    assert first.status_code == second.status_code == 202
    assert first.json() == second.json()
    assert "nachbarin" not in first.text
    stored = list(alerts.store.subscriptions.values())
    assert len(stored) == 2  # each request needs its own confirmation
    assert all(not hasattr(s, "email") for s in stored)


async def test_a_place_without_a_radius_watches_500_metres_around_it(
    client: Any, alerts: Alerts
) -> None:
    await subscribed(client, alerts, radius_m=None)

    assert alerts.the_request().radius_m == 500


@pytest.mark.parametrize(
    ("changes", "field", "reason"),
    [
        ({"radius_m": 49}, "radius_m", "greater than or equal to 50"),
        ({"radius_m": 5001}, "radius_m", "less than or equal to 5000"),
        ({"lat": None, "lon": None}, "lat", "or a district"),
        ({"lon": None}, "lon", "Give both lat and lon."),
        ({"district": "district-500"}, "district", "not both"),
        (
            {"lat": DUESSELDORF_ALTSTADT[0], "lon": DUESSELDORF_ALTSTADT[1]},
            "lat",
            "outside the area of the City of Duisburg",
        ),
        (
            {"lat": None, "lon": None, "district": "district-800"},
            "district",
            "district-500 (Mitte)",
        ),
        (
            {"lat": None, "lon": None, "radius_m": 100, "district": "district-100"},
            "radius_m",
            "needs a place",
        ),
        ({"category": "unicorn_sighting"}, "category", "Unknown category"),
        ({"email": "not-an-address"}, "email", "email"),
        ({"frequency": "hourly"}, "frequency", ""),
        ({"language": "fr"}, "language", ""),
    ],
)
async def test_a_wrong_request_is_refused_with_the_field_and_the_reason(
    client: Any, alerts: Alerts, changes: dict[str, Any], field: str, reason: str
) -> None:
    response = await client.post("/api/v1/alerts", json={**NEAR_KOENIGSTRASSE, **changes})

    assert response.status_code == 400, response.text
    errors = {error["field"]: error["reason"] for error in response.json()["errors"]}
    assert field in errors, errors
    assert reason in errors[field]
    assert alerts.store.subscriptions == {}


async def test_one_client_cannot_send_confirmation_mails_without_end() -> None:
    alerts = Alerts(per_minute=2)
    async with AsyncTestClient(alerts.app()) as client:
        answers = [
            (await client.post("/api/v1/alerts", json=NEAR_KOENIGSTRASSE)).status_code
            for _ in range(3)
        ]
        refused = await client.post("/api/v1/alerts", json=NEAR_KOENIGSTRASSE)

    assert answers == [202, 202, 429]
    assert int(refused.headers["retry-after"]) > 0
    assert len(alerts.store.subscriptions) == 2


async def test_the_districts_are_listed_for_apps(client: Any) -> None:
    response = await client.get("/api/v1/alerts/districts")

    assert response.status_code == 200
    assert [d["id"] for d in response.json()] == [f"district-{n}00" for n in range(1, 8)]
    assert {"id": "district-700", "name": "Süd"} in response.json()


# --- confirming ---------------------------------------------------------------------------------


async def test_opening_the_confirmation_link_shows_the_alert_and_changes_nothing(
    client: Any, alerts: Alerts
) -> None:
    token = await subscribed(client, alerts, category="street_light_out")

    shown = await client.get(f"/api/v1/alerts/confirm/{token}?lang=en")
    page = await client.get(f"/api/v1/alerts/confirm/{token}", headers=BROWSER)

    assert shown.status_code == 200
    body = shown.json()
    assert body["status"] == "requested"
    assert (body["radius_m"], body["category"], body["frequency"]) == (
        300,
        "street_light_out",
        "immediately",
    )
    assert body["text"].startswith("new reports of")
    assert "within 300 m" in body["text"]
    assert page.headers["content-type"].startswith("text/html")
    assert '<form method="post">' in page.text
    assert "Ja, Benachrichtigung einschalten" in page.text
    assert len(alerts.events()) == 1


async def test_confirming_switches_the_alert_on_once(client: Any, alerts: Alerts) -> None:
    token = await subscribed(client, alerts)

    first = await client.post(f"/api/v1/alerts/confirm/{token}")
    again = await client.post(f"/api/v1/alerts/confirm/{token}", headers=BROWSER)

    assert first.status_code == again.status_code == 200
    assert first.json()["status"] == "confirmed"
    assert "Benachrichtigung ist eingeschaltet" in again.text
    confirmed = [e for e in alerts.events() if isinstance(e, AreaAlertConfirmed)]
    assert len(confirmed) == 1
    subscription_id = alerts.the_request().report_id
    assert confirmed[0].report_id == subscription_id
    assert alerts.sent() == ([(subscription_id, "confirm")] * 2 if alerts.commands else [])


async def test_an_unknown_or_expired_link_is_refused(client: Any, alerts: Alerts) -> None:
    token = await subscribed(client, alerts)

    unknown = await client.post("/api/v1/alerts/confirm/not-a-token")
    unknown_page = await client.get("/api/v1/alerts/cancel/not-a-token?lang=en", headers=BROWSER)
    alerts.clock.now += timedelta(days=7, minutes=1)
    expired_page = await client.get(f"/api/v1/alerts/confirm/{token}")
    expired = await client.post(f"/api/v1/alerts/confirm/{token}")

    assert unknown.status_code == expired_page.status_code == expired.status_code == 404
    assert unknown.json()["code"] == expired.json()["code"] == "alert_link_invalid"
    assert unknown_page.status_code == 404
    assert "This link is not valid or has expired" in unknown_page.text
    assert len(alerts.events()) == 1


async def test_a_page_never_echoes_markup_from_the_link(client: Any) -> None:
    hostile = '"><script>x</script>'
    refused = await client.get(
        "/api/v1/alerts/confirm/nope", params={"lang": hostile}, headers=BROWSER
    )

    unknown = await client.get(
        "/api/v1/alerts/confirm/nope", headers={**BROWSER, "accept-language": hostile}
    )

    assert refused.status_code == 400
    assert unknown.status_code == 404
    for answer in (refused, unknown):
        assert answer.headers["content-type"].startswith("text/html")
        assert "<script>x" not in answer.text
        assert '<html lang="de">' in answer.text


# --- cancelling ---------------------------------------------------------------------------------


async def test_one_click_cancelling_stops_the_alert_once(client: Any, alerts: Alerts) -> None:
    token = await subscribed(client, alerts)
    await client.post(f"/api/v1/alerts/confirm/{token}")

    shown = await client.get(f"/api/v1/alerts/cancel/{token}", headers=BROWSER)
    # RFC 8058: the mail program posts this form body to the List-Unsubscribe address.
    one_click = await client.post(
        f"/api/v1/alerts/cancel/{token}",
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    again = await client.post(f"/api/v1/alerts/cancel/{token}")

    assert "Ja, abbestellen" in shown.text
    assert one_click.status_code == again.status_code == 200
    assert one_click.json()["status"] == again.json()["status"] == "cancelled"
    cancelled = [e for e in alerts.events() if isinstance(e, AreaAlertCancelled)]
    assert len(cancelled) == 1
    steps = ["confirm", "cancel", "cancel"] if alerts.commands else []
    assert [step for _, step in alerts.sent()] == steps


async def test_cancelling_destroys_the_key_the_request_was_sealed_under(
    client: Any, alerts: Alerts
) -> None:
    token = await subscribed(client, alerts)
    key_id = alerts.the_request().email.key_id
    assert key_id in alerts.keys.keys

    await client.post(f"/api/v1/alerts/cancel/{token}")
    await client.post(f"/api/v1/alerts/cancel/{token}")  # a second click destroys nothing more

    assert key_id not in alerts.keys.keys


async def test_a_cancelled_alert_cannot_be_confirmed_again(client: Any, alerts: Alerts) -> None:
    token = await subscribed(client, alerts)
    await client.post(f"/api/v1/alerts/cancel/{token}")  # before confirming: fine too

    confirm = await client.post(f"/api/v1/alerts/confirm/{token}")
    page = await client.get(f"/api/v1/alerts/confirm/{token}?lang=tr", headers=BROWSER)

    assert confirm.status_code == page.status_code == 409
    assert confirm.json()["code"] == "alert_cancelled"
    assert "Bu bildirim durduruldu" in page.text
    assert [type(e).__name__ for e in alerts.events()] == [
        "AreaAlertRequested",
        "AreaAlertCancelled",
    ]


# --- the relay ----------------------------------------------------------------------------------


async def test_the_relay_publishes_a_subscriptions_events_in_order_and_then_forgets_them(
    client: Any, alerts: Alerts
) -> None:
    token = await subscribed(client, alerts)
    await client.post(f"/api/v1/alerts/confirm/{token}")
    publisher = RecordingPublisher(failing=True)
    relay = OutboxRelay(AlertOutbox(alerts.store), publisher)

    with pytest.raises(ConnectionError):
        await relay.publish_pending()
    assert len(alerts.events()) == 2  # Kafka away: nothing is lost
    publisher.failing = False
    assert await relay.publish_pending() == 2
    assert await relay.publish_pending() == 0

    assert publisher.topics() == [topics.AREA_ALERTS, topics.AREA_ALERTS]
    assert [type(e).__name__ for _, e in publisher.published] == [
        "AreaAlertRequested",
        "AreaAlertConfirmed",
    ]
    assert alerts.events() == []


async def test_a_relay_woken_with_a_subscription_publishes_it_without_scanning(
    client: Any, alerts: Alerts
) -> None:
    class NoScan(InMemoryAlertStore):
        async def with_pending_events(self, limit: int) -> list[Any]:
            raise AssertionError("scanned the whole outbox")

    store = NoScan()
    store.subscriptions = alerts.store.subscriptions
    publisher = RecordingPublisher()
    relay = OutboxRelay(AlertOutbox(store), publisher)
    await subscribed(client, alerts)

    for woken in [*alerts.woken, "alert-gone"]:
        relay.wake(woken)
    assert await relay.publish_hinted() == 1
    assert await relay.publish_hinted() == 0
    assert [type(e).__name__ for _, e in publisher.published] == ["AreaAlertRequested"]
    assert alerts.events() == []


async def test_a_link_that_is_neither_confirm_nor_cancel_changes_nothing(
    client: Any, alerts: Alerts
) -> None:
    token = await subscribed(client, alerts)

    response = await client.post(f"/api/v1/alerts/subscribe/{token}")

    assert response.status_code == 400, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["action"]
    assert next(iter(alerts.store.subscriptions.values())).status == "requested"
