"""A report travels the whole way: HTTP → MongoDB → Kafka → routing → department queue → mail."""

import json
import uuid
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaProducer

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.staff.token import ensure_signing_key, issue_token
from stadtmelder_shared import topics
from stadtmelder_shared.kafka import group_for
from tests.conftest import LocalSystem
from tests.examples import valid_answers
from tests.system import ROOT, committed_offset, records_with_key, wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()


def a_report(address: str, **changes: Any) -> dict[str, Any]:
    category = changes.get("category", "street_light_out")
    report = {
        "category": category,
        "answers": valid_answers(DUISBURG.category(category)),
        "description": "Die Laterne an der Haltestelle ist seit drei Tagen dunkel.",
        "lat": 51.4344,
        "lon": 6.7623,
        "email": address,
    }
    report.update(changes)
    return report


def an_address() -> str:
    return f"citizen-{uuid.uuid4().hex[:12]}@example.org"


async def submit(system: LocalSystem, report: dict[str, Any]) -> str:
    async with httpx.AsyncClient(base_url=system.reports_url) as client:
        response = await client.post("/api/v1/reports", json=report)
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "submitted"
    return str(body["id"])


async def public_view(system: LocalSystem, report_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=system.reports_url) as client:
        response = await client.get(f"/api/v1/reports/{report_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def received_at_least(system: LocalSystem, address: str, count: int) -> list[Any]:
    mails = system.mailbox.messages_to(address)
    return mails if len(mails) >= count else []


def plain_text(mail: Any) -> str:
    """The plain-text part of a multipart/alternative mail."""
    return str(mail.get_body(preferencelist=("plain",)).get_content())


async def routed(system: LocalSystem, report_id: str, timeout: float = 30) -> dict[str, Any]:
    async def probe() -> dict[str, Any] | None:
        view = await public_view(system, report_id)
        return view if view["status"] == "routed" else None

    return await wait_until(probe, timeout=timeout, what=f"report {report_id} to be routed")


async def test_posted_report_is_routed_mailed_once_and_queued_once(
    running_system: LocalSystem,
) -> None:
    address = an_address()
    report_id = await submit(running_system, a_report(address, language="en"))

    view = await routed(running_system, report_id)
    assert view["department"] == {
        "id": "stadt-licht",
        "name": "Stadt Duisburg – Straßenbeleuchtung",
    }
    assert address not in json.dumps(view)

    # The reporter hears twice: "received" at once, then "with the department".
    mails = await wait_until(
        lambda: received_at_least(running_system, address, 2), what="the two mails"
    )
    [mail] = [m for m in mails if m["Subject"].startswith("Your report")]
    assert report_id in str(mail["Subject"])
    body = plain_text(mail)
    assert "Stadt Duisburg – Straßenbeleuchtung" in body
    assert f"{running_system.reports_url}/reports/{report_id}?lang=en" in body

    # Routing's records reach their topics on their own: the work item may follow the status.
    work_items = await wait_until(
        lambda: records_with_key(
            running_system.kafka, topics.department_work("stadt-licht"), report_id
        ),
        what="the department's work item",
    )
    assert len(work_items) == 1
    assert work_items[0]["headers"]["ce_type"] == "org.stadtmelder.department.work-item-queued"
    assert work_items[0]["headers"]["ce_specversion"] == "1.0"
    assert "email" not in json.loads(work_items[0]["value"]), "no personal data in work items"


async def test_a_duplicated_routed_event_sends_no_second_mail(
    running_system: LocalSystem,
) -> None:
    address = an_address()
    report_id = await submit(running_system, a_report(address, category="playground_damage"))
    await routed(running_system, report_id)
    await wait_until(lambda: received_at_least(running_system, address, 2), what="the mails")

    [original] = await records_with_key(running_system.kafka, topics.REPORTS_ROUTED, report_id)
    producer = AIOKafkaProducer(bootstrap_servers=running_system.kafka)
    await producer.start()
    try:
        sent = await producer.send_and_wait(
            topics.REPORTS_ROUTED,
            original["value"],
            key=report_id.encode(),
            headers=[(k, v.encode()) for k, v in original["headers"].items()],
        )
    finally:
        await producer.stop()

    async def duplicate_consumed() -> bool:
        committed = await committed_offset(
            running_system.kafka,
            group_for("notify", topics.REPORTS_ROUTED),
            topics.REPORTS_ROUTED,
            sent.partition,
        )
        return committed is not None and committed > sent.offset

    await wait_until(duplicate_consumed, what="notify to consume the duplicate")
    assert len(running_system.mailbox.messages_to(address)) == 2  # confirmation and routed


async def test_report_submitted_while_kafka_is_down_is_routed_and_mailed_after_restart(
    running_system: LocalSystem,
) -> None:
    address = an_address()
    running_system.stop("kafka")
    try:
        report_id = await submit(running_system, a_report(address, category="illegal_dumping"))
        assert (await public_view(running_system, report_id))["status"] == "submitted"
    finally:
        running_system.start("kafka")

    view = await routed(running_system, report_id, timeout=90)
    assert view["department"]["id"] == "wbd-abfall"
    mails = await wait_until(
        lambda: received_at_least(running_system, address, 2),
        timeout=60,
        what="the mails after Kafka came back",
    )
    assert len(mails) == 2  # confirmation and routed, each once
    assert len({m["Subject"] for m in mails}) == 2


async def test_a_supporter_is_asked_to_confirm_by_mail_once(running_system: LocalSystem) -> None:
    report_id = await submit(running_system, a_report(an_address(), category="graffiti"))
    supporter = an_address()
    async with httpx.AsyncClient(base_url=running_system.reports_url) as client:
        for _ in range(2):
            response = await client.post(
                f"/api/v1/reports/{report_id}/support", json={"email": supporter, "language": "en"}
            )
            assert response.status_code == 200
    assert response.json()["supporter_count"] == 1

    async def confirmations() -> list[Any]:
        mails = running_system.mailbox.messages_to(supporter)
        wanted = f"Please confirm your address for report {report_id}"
        return [m for m in mails if m["Subject"] == wanted]

    [confirmation] = await wait_until(confirmations, what="the supporter's confirmation request")
    assert report_id in plain_text(confirmation)


async def test_a_poison_message_is_dead_lettered_and_routing_keeps_going(
    running_system: LocalSystem,
) -> None:
    poison_key = f"POISON-{uuid.uuid4().hex[:8]}"
    producer = AIOKafkaProducer(bootstrap_servers=running_system.kafka)
    await producer.start()
    try:
        await producer.send_and_wait(
            topics.REPORTS_SUBMITTED, b"\x00 this is not an event", key=poison_key.encode()
        )
    finally:
        await producer.stop()

    report_id = await submit(running_system, a_report(an_address(), category="graffiti"))
    await routed(running_system, report_id)

    async def dead_lettered() -> list[dict[str, Any]]:
        dlq = topics.dead_letter(topics.REPORTS_SUBMITTED)
        return await records_with_key(running_system.kafka, dlq, poison_key)

    # Every consumer group of the topic that cannot read it parks its own copy.
    records = await wait_until(dead_lettered, what="the poison message in the DLQ")
    for record in records:
        assert record["headers"]["dlq_topic"] == topics.REPORTS_SUBMITTED
        assert record["headers"]["dlq_reason"]


def a_green_clerk() -> dict[str, str]:
    """A bearer header of a clerk of parks and playgrounds, the department with a mailbox."""
    settings = ReportsSettings()
    key_file = settings.staff_signing_key_file
    key = ensure_signing_key(key_file if key_file.is_absolute() else ROOT / key_file)
    token = issue_token(key, "e2e-green-clerk", ["clerk"], "wbd-gruen", settings.staff_audience)
    return {"authorization": f"Bearer {token}"}


async def test_the_department_mail_links_the_staff_page_shows_labelled_answers_and_reopening(
    running_system: LocalSystem,
) -> None:
    report_id = await submit(running_system, a_report(an_address(), category="playground_damage"))

    async def department_mails(count: int) -> list[str] | None:
        found = [
            message
            for message in running_system.mailbox.messages_to("gruen@wbd.example")
            if message["X-Stadtmelder-Report-Id"] == report_id
        ]
        texts = [str(m.get_body(("plain",)).get_content()) for m in found]  # type: ignore[union-attr]
        return texts if len(texts) >= count else None

    [text] = await wait_until(lambda: department_mails(1), what="the work order by mail")
    lines = text.splitlines()
    assert f"Bearbeiten:   {running_system.reports_url}/staff/reports/{report_id}" in lines
    assert "  Welches Spielgerät ist beschädigt? Schaukel" in lines
    assert "equipment:" not in text

    clerk = a_green_clerk()
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as api:
        for to, extra in [
            ("acknowledged", {}),
            ("in_progress", {}),
            ("resolved", {}),
            ("reopened", {"reason": "Die Kette ist wieder lose."}),
        ]:
            response = await api.post(
                f"/api/v1/staff/reports/{report_id}/transitions",
                json={"to": to, **extra},
                headers=clerk,
            )
            assert response.status_code == 200, response.text

    mails = await wait_until(lambda: department_mails(2), what="the reopening by mail")
    [reopened] = [m for m in mails if m.startswith("Wieder geöffnet: die Sachbearbeitung sagt")]
    assert "Die Kette ist wieder lose." in reopened.splitlines()
