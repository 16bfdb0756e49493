"""Area alerts on the running system: subscribe, confirm by mail, get alerts nearby only, cancel.

NEEDS THE WIRING of the alerts into reports' and notify's app.py (AlertsController, the alert
relay, `register_alert_handlers(..., "notify-alerts")`): until then `/api/v1/alerts` does not
exist and these tests skip with that reason. tests/integration/test_alerts_flow.py runs the same
flow in one process without the wiring.
"""

import hashlib
import json
import re
import uuid
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_shared import topics
from stadtmelder_shared.kafka import group_for
from tests.conftest import LocalSystem
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.system import committed_offset, records_with_key, wait_until

pytestmark = pytest.mark.e2e

DUISBURG = load_jurisdiction()
# The consumer group the wiring gives notify's alert consumers.
ALERTS_GROUP = "notify-alerts"
NEARBY = (KOENIGSTRASSE[0] + 0.0009, KOENIGSTRASSE[1])  # 100 m north
HAMBORN = (51.4900, 6.7700)  # 6.3 km north, another district


@pytest.fixture
def alerts_system(running_system: LocalSystem) -> LocalSystem:
    response = httpx.get(f"{running_system.reports_url}/api/v1/alerts/districts")
    if response.status_code == 404:
        pytest.skip("area alerts are not wired into the reports service yet")
    return running_system


def an_address(kind: str) -> str:
    return f"{kind}-{uuid.uuid4().hex[:12]}@example.org"


def text_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())


def link_path(mail: EmailMessage, kind: str) -> str:
    match = re.search(rf"https?://\S+/api/v1/alerts/{kind}/\S+", text_of(mail))
    assert match, text_of(mail)
    return urlsplit(match.group(0)).path


async def mails(system: LocalSystem, address: str, count: int) -> list[EmailMessage] | None:
    """For `wait_until`: the mails to `address` once there are `count` of them."""
    found = system.mailbox.messages_to(address)
    return found if len(found) >= count else None


async def subscribe(system: LocalSystem, address: str, **fields: Any) -> EmailMessage:
    """Ask for an alert and return its confirmation mail."""
    async with httpx.AsyncClient(base_url=system.reports_url) as client:
        response = await client.post("/api/v1/alerts", json={"email": address, **fields})
    assert response.status_code == 202, response.text
    [mail] = await wait_until(lambda: mails(system, address, 1), what="the confirmation mail")
    return mail


async def post(system: LocalSystem, path: str, **options: Any) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=system.reports_url) as client:
        response = await client.post(path, **options)
    assert response.status_code == 200, response.text
    return dict(response.json())


async def report_routed(system: LocalSystem, place: tuple[float, float]) -> str:
    """Submit a street light report there as someone else and wait until it is routed."""
    report = {
        "category": "street_light_out",
        "answers": valid_answers(DUISBURG.category("street_light_out")),
        "description": "Die Laterne ist seit gestern dunkel.",
        "lat": place[0],
        "lon": place[1],
        "email": an_address("reporter"),
    }
    async with httpx.AsyncClient(base_url=system.reports_url) as client:
        response = await client.post("/api/v1/reports", json=report)
        assert response.status_code == 201, response.text
        report_id = str(response.json()["id"])

        async def routed() -> bool:
            view = (await client.get(f"/api/v1/reports/{report_id}")).json()
            return bool(view["status"] == "routed")

        await wait_until(routed, what=f"report {report_id} to be routed")
    return report_id


async def consumed(system: LocalSystem, topic: str, key: str) -> None:
    """Wait until notify's alert consumers are past every record of `key` on `topic`."""
    records = await wait_until(
        lambda: records_with_key(system.kafka, topic, key), what=f"{key} on {topic}"
    )
    last = max(records, key=lambda r: r["offset"])

    async def past_it() -> bool:
        committed = await committed_offset(
            system.kafka, group_for(ALERTS_GROUP, topic), topic, last["partition"]
        )
        return committed is not None and committed > last["offset"]

    await wait_until(past_it, what=f"notify to consume {topic} of {key}")


async def subscription_id(system: LocalSystem, link: str) -> str:
    """The subscription's id (its events' key), found by its token's hash on Kafka."""
    token_hash = hashlib.sha256(link.rsplit("/", 1)[1].encode()).hexdigest()
    consumer = AIOKafkaConsumer(
        bootstrap_servers=system.kafka, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        partitions = [
            TopicPartition(topics.AREA_ALERTS, p)
            for p in consumer.partitions_for_topic(topics.AREA_ALERTS) or ()
        ]
        consumer.assign(partitions)
        await consumer.seek_to_beginning(*partitions)
        ends = await consumer.end_offsets(partitions)
        for partition in partitions:
            while await consumer.position(partition) < ends[partition]:
                batch = await consumer.getmany(partition, timeout_ms=1000)
                for record in batch.get(partition, []):
                    if json.loads(record.value).get("confirm_token_hash") == token_hash:
                        return str(record.key.decode())
    finally:
        await consumer.stop()
    raise AssertionError("the subscription's request is not on Kafka")


async def test_a_confirmed_subscriber_hears_of_new_reports_nearby_until_cancelling(
    alerts_system: LocalSystem,
) -> None:
    address = an_address("neighbour")
    confirmation = await subscribe(
        alerts_system,
        address,
        language="en",
        lat=KOENIGSTRASSE[0],
        lon=KOENIGSTRASSE[1],
        radius_m=400,
        category="street_light_out",
    )
    assert confirmation["Subject"] == "Please confirm your alert"
    confirm = link_path(confirmation, "confirm")
    confirmed = await post(alerts_system, confirm)
    assert confirmed["status"] == "confirmed"
    # Alerts are for reports routed after notify learnt of the confirmation: on a busy machine
    # its alert consumer may read the confirmation later than the routed reports below.
    subscription = await subscription_id(alerts_system, confirm)
    await wait_until(
        lambda: _events_of(alerts_system, subscription, 2), what="the confirmation on Kafka"
    )
    await consumed(alerts_system, topics.AREA_ALERTS, subscription)

    elsewhere = await report_routed(alerts_system, HAMBORN)
    nearby = await report_routed(alerts_system, NEARBY)
    [_, alert] = await wait_until(
        lambda: mails(alerts_system, address, 2), timeout=90, what="the alert for the report nearby"
    )
    await consumed(alerts_system, topics.REPORTS_ROUTED, elsewhere)
    assert len(alerts_system.mailbox.messages_to(address)) == 2
    assert alert["Subject"] == "New report near you: Street light out"
    assert nearby in text_of(alert)
    assert elsewhere not in text_of(alert)
    cancel = link_path(alert, "cancel")
    assert alert["List-Unsubscribe"].endswith(f"{cancel}>")
    assert alert["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    cancelled = await post(
        alerts_system,
        cancel,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert cancelled["status"] == "cancelled"
    assert await subscription_id(alerts_system, cancel) == subscription
    await wait_until(
        lambda: _events_of(alerts_system, subscription, 3), what="the cancellation on Kafka"
    )
    await consumed(alerts_system, topics.AREA_ALERTS, subscription)
    after = await report_routed(alerts_system, NEARBY)
    await consumed(alerts_system, topics.REPORTS_ROUTED, after)

    assert len(alerts_system.mailbox.messages_to(address)) == 2


async def _events_of(system: LocalSystem, subscription: str, count: int) -> bool:
    records = await records_with_key(system.kafka, topics.AREA_ALERTS, subscription)
    return len(records) >= count


async def test_an_unconfirmed_subscriber_gets_only_the_confirmation_mail(
    alerts_system: LocalSystem,
) -> None:
    address = an_address("undecided")
    confirmation = await subscribe(alerts_system, address, district="district-500")
    assert confirmation["Subject"] == "Bitte bestätigen Sie Ihre Benachrichtigung"

    report_id = await report_routed(alerts_system, NEARBY)
    await consumed(alerts_system, topics.REPORTS_ROUTED, report_id)

    assert len(alerts_system.mailbox.messages_to(address)) == 1
