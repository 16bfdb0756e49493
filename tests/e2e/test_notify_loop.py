"""The loop with the citizen on the running system and the real SMTP sink: every step by mail in
the reporter's language, feedback that reopens the report, and an unsubscribe that holds."""

import re
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage
from typing import Any

import httpx
import pytest

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
LIGHTS = "stadt-licht"


@pytest.fixture(scope="module")
def clerk() -> dict[str, str]:
    """A bearer header of a clerk of the street lights, signed with the local development key."""
    settings = ReportsSettings()
    key_file = settings.staff_signing_key_file
    key = ensure_signing_key(key_file if key_file.is_absolute() else ROOT / key_file)
    token = issue_token(key, "e2e-notify-clerk", ["clerk"], LIGHTS, settings.staff_audience)
    return {"authorization": f"Bearer {token}"}


@pytest.fixture
async def api(running_system: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as client:
        yield client


def an_address() -> str:
    return f"citizen-{uuid.uuid4().hex[:12]}@example.org"


async def submit(api: httpx.AsyncClient, address: str, language: str) -> dict[str, Any]:
    response = await api.post(
        "/api/v1/reports",
        json={
            "category": "street_light_out",
            "answers": valid_answers(DUISBURG.category("street_light_out")),
            "description": f"Die Laterne ist dunkel ({uuid.uuid4().hex[:6]}).",
            "lat": 51.4344,
            "lon": 6.7623,
            "email": address,
            "language": language,
        },
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


async def mails(system: LocalSystem, address: str, count: int) -> list[EmailMessage]:
    """The mails to `address` once there are `count` of them, oldest first."""

    async def arrived() -> list[EmailMessage] | None:
        found = system.mailbox.messages_to(address)
        return found if len(found) >= count else None

    return await wait_until(arrived, timeout=60, what=f"{count} mails to {address}")


def plain(message: EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


async def step(
    api: httpx.AsyncClient, clerk: dict[str, str], report_id: str, to: str, **body: Any
) -> None:
    response = await api.post(
        f"/api/v1/staff/reports/{report_id}/transitions",
        json={"to": to, **body},
        headers=clerk,
    )
    assert response.status_code == 200, response.text


async def notified_steps(api: httpx.AsyncClient, report_id: str) -> list[str]:
    view = (await api.get(f"/api/v1/reports/{report_id}")).json()
    return [entry["step"] for entry in view["notified"]]


async def consumed_by_notify(system: LocalSystem, topic: str, report_id: str, index: int) -> None:
    """Wait until notify's consumer group is past the report's `index`-th record on `topic`."""
    records = await wait_until(
        lambda: records_with_key(system.kafka, topic, report_id),
        what=f"a record of {report_id} on {topic}",
    )
    record = records[index]

    async def past() -> bool:
        group = group_for("notify", topic)
        offset = await committed_offset(system.kafka, group, topic, record["partition"])
        return offset is not None and offset > record["offset"]

    await wait_until(past, timeout=60, what=f"notify to consume {topic} of {report_id}")


async def queued(api: httpx.AsyncClient, clerk: dict[str, str], report_id: str) -> str | None:
    """The report's status in the department's queue, looking through every page."""
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        response = await api.get(
            f"/api/v1/staff/departments/{LIGHTS}/queue", params=params, headers=clerk
        )
        assert response.status_code == 200, response.text
        page = response.json()
        for item in page["items"]:
            if item["id"] == report_id:
                return str(item["status"])
        cursor = page["next_cursor"]
        if cursor is None:
            return None


async def test_a_reporter_hears_five_times_in_turkish_and_not_fixed_reopens_the_report(
    running_system: LocalSystem, api: httpx.AsyncClient, clerk: dict[str, str]
) -> None:
    address = an_address()
    new = await submit(api, address, "tr")
    report_id, tracking_token = new["id"], new["tracking_token"]
    base = running_system.reports_url

    confirmation, routed = await mails(running_system, address, 2)
    assert confirmation["Subject"] == f"{report_id} numaralı bildiriminizi aldık"
    assert f"{base}/track/{tracking_token}?lang=tr" in plain(confirmation)
    assert routed["Subject"] == f"{report_id} numaralı bildiriminiz sorumlu birime iletildi"
    assert "Stadt Duisburg – Straßenbeleuchtung" in plain(routed)
    assert "Tahmini bitiş tarihi:" in plain(routed)

    await step(api, clerk, report_id, "acknowledged")
    await mails(running_system, address, 3)
    await step(api, clerk, report_id, "in_progress")
    await step(api, clerk, report_id, "resolved", public_comment="Leuchtmittel getauscht.")
    resolved = (await mails(running_system, address, 4))[3]
    assert resolved["Subject"] == f"{report_id} numaralı bildiriminiz çözüldü"
    assert "Leuchtmittel getauscht." in plain(resolved)
    [not_fixed] = re.findall(
        rf"{re.escape(base)}/api/v1/feedback/\S+&outcome=not_fixed", plain(resolved)
    )

    shown = await api.get(not_fixed)  # what a mail scanner does: nothing may happen
    assert shown.status_code == 200
    assert (shown.json()["selected"], shown.json()["status"]) == ("not_fixed", "resolved")
    answered = await api.post(
        not_fixed, json={"outcome": "not_fixed", "comment": "Immer noch dunkel.", "rating": 2}
    )
    assert answered.status_code == 201, answered.text
    assert answered.json()["status"] == "reopened"

    reopened = (await mails(running_system, address, 5))[4]
    assert reopened["Subject"] == f"{report_id} numaralı bildiriminiz yeniden açıldı"
    assert "henüz giderilmediği" in plain(reopened)

    # Notify has dealt with every step up to the reopening: nothing more may come.
    async def all_noticed() -> list[str] | None:
        steps = await notified_steps(api, report_id)
        return steps if "reopened" in steps else None

    noticed = await wait_until(all_noticed, what="the reopening in the report's history")
    assert noticed == ["submitted", "routed", "acknowledged", "resolved", "reopened"]
    received = running_system.mailbox.messages_to(address)
    assert [m["Subject"] for m in received] == [
        f"{report_id} numaralı bildiriminizi aldık",
        f"{report_id} numaralı bildiriminiz sorumlu birime iletildi",
        f"{report_id} numaralı bildiriminiz ele alınıyor",
        f"{report_id} numaralı bildiriminiz çözüldü",
        f"{report_id} numaralı bildiriminiz yeniden açıldı",
    ]
    for message in received:
        assert message.get_content_type() == "multipart/alternative"
        assert message["Content-Language"] == "tr"
        html = message.get_body(preferencelist=("html",))
        assert html is not None
        assert '<html lang="tr"' in str(html.get_content())
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    assert await queued(api, clerk, report_id) == "reopened"
    view = (await api.get(f"/api/v1/reports/{report_id}")).json()
    assert [(f["outcome"], f["rating"]) for f in view["feedback"]] == [("not_fixed", 2)]
    assert address not in str(view)
    assert "Immer noch dunkel" not in str(view)


async def test_one_click_unsubscribe_stops_further_mail_about_the_report(
    running_system: LocalSystem, api: httpx.AsyncClient, clerk: dict[str, str]
) -> None:
    address = an_address()
    report_id = (await submit(api, address, "en"))["id"]
    _, routed = await mails(running_system, address, 2)
    assert routed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    unsubscribe = str(routed["List-Unsubscribe"]).strip("<>")

    # What a mail client does for RFC 8058's one click.
    response = await api.post(
        unsubscribe,
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    assert response.status_code == 200, response.text
    await consumed_by_notify(running_system, topics.NOTIFICATION_PREFERENCES, report_id, 0)

    await step(api, clerk, report_id, "acknowledged")
    await consumed_by_notify(running_system, topics.REPORTS_STATUS_CHANGED, report_id, 0)

    assert [m["Subject"] for m in running_system.mailbox.messages_to(address)] == [
        f"We have received your report {report_id}",
        f"Your report {report_id} has reached the responsible department",
    ]
    assert "acknowledged" not in await notified_steps(api, report_id)
