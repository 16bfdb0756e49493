"""Area alerts with several replicas: a link's step not applied in time is answered 202 and
applied once later; a subscription's id lies in a partition of the replica that stores it, and
only the owner drops published events from its outbox (its one writer, docs/scale-out.md)."""

from collections.abc import AsyncIterator
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.alerts import owned_ids
from stadtmelder_reports.alerts.store import AlertOutbox
from stadtmelder_reports.core.outbox import OutboxRelay
from stadtmelder_shared.alert_events import AreaAlertConfirmed
from stadtmelder_shared.partition_owner import partition_of
from tests.command_fakes import Loopback
from tests.fakes import RecordingPublisher
from tests.unit.test_alerts_api import BROWSER, Alerts, subscribed
from tests.unit.test_report_owner import Owner, owning


@pytest.fixture
def alerts() -> Alerts:
    return Alerts(commands=Loopback(wait_seconds=0.2, hold=True))


@pytest.fixture
async def client(alerts: Alerts) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(alerts.app()) as client:
        yield client


async def test_a_confirmation_not_applied_in_time_is_answered_202_and_applied_once_later(
    client: Any, alerts: Alerts
) -> None:
    assert alerts.commands is not None
    token = await subscribed(client, alerts)
    link = f"/api/v1/alerts/confirm/{token}"

    api = await client.post(link)
    page = await client.post(link, headers=BROWSER)

    assert (api.status_code, page.status_code) == (202, 202)
    assert api.json()["code"] == "accepted"
    assert api.json()["follow"] == api.headers["location"] == link
    assert page.headers["content-type"].startswith("text/html")
    assert (await client.get(link)).json()["status"] == "requested"
    held = list(alerts.commands.held)
    for command in [*held, held[0]]:  # late, and the first one delivered twice
        await alerts.commands.deliver(command)
    assert (await client.get(link)).json()["status"] == "confirmed"
    assert len([e for e in alerts.events() if isinstance(e, AreaAlertConfirmed)]) == 1
    assert [r.applied for r in alerts.commands.results] == [True, False, False]


async def test_a_cancelled_alerts_confirmation_is_refused_by_the_owner_as_in_place(
    client: Any, alerts: Alerts
) -> None:
    assert alerts.commands is not None
    alerts.commands.hold = False
    token = await subscribed(client, alerts)
    await client.post(f"/api/v1/alerts/cancel/{token}")

    refused = await client.post(f"/api/v1/alerts/confirm/{token}", headers=BROWSER)

    assert refused.status_code == 409
    assert "Diese Benachrichtigung wurde abbestellt" in refused.text
    assert [r.refusal is not None for r in alerts.commands.results] == [False, True]


def test_a_new_subscription_lies_in_a_partition_of_the_replica_that_stores_it() -> None:
    new_id = owned_ids(owning({1}, of=2))

    ids = [new_id() for _ in range(30)]

    assert all(i.startswith("alert-") for i in ids)
    assert {partition_of(i, 2) for i in ids} == {1}


@pytest.mark.parametrize("owns", [True, False])
async def test_only_the_owner_drops_the_published_events_of_a_subscription(
    client: Any, alerts: Alerts, owns: bool
) -> None:
    await subscribed(client, alerts)
    publisher = RecordingPublisher()
    relay = OutboxRelay(AlertOutbox(alerts.store), publisher, owner=Owner(owns))

    assert await relay.publish_pending() == 1

    assert len(publisher.published) == 1
    assert len(alerts.events()) == (0 if owns else 1)  # another's: left to its owner
