"""A reporter sees on the running system what is stored about them: contact data, the mails
sent with their time, and each staff read of the contact data with department and time."""

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_shared.departments import load_directory
from tests.conftest import LocalSystem
from tests.examples import valid_answers
from tests.system import staff_headers, wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()
LIGHTS = "stadt-licht"


def now_in_ms() -> datetime:
    """The database keeps times to the millisecond."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


async def test_the_data_answer_lists_contact_mails_and_each_staff_read(
    running_system: LocalSystem,
) -> None:
    address = f"privacy-{uuid.uuid4().hex[:12]}@example.org"
    started = now_in_ms()
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as api:
        created = await api.post(
            "/api/v1/reports",
            json={
                "category": "street_light_out",
                "answers": valid_answers(DUISBURG.category("street_light_out")),
                "description": "Laterne am Spielplatz dunkel.",
                "lat": 51.4344,
                "lon": 6.7623,
                "email": address,
                "name": "Anna Beispiel",
                "phone": "0203 123456",
            },
        )
        assert created.status_code == 201, created.text
        report_id, token = created.json()["id"], created.json()["tracking_token"]

        async def routed() -> bool:
            view = (await api.get(f"/api/v1/reports/{report_id}")).json()
            return bool(view["status"] == "routed")

        await wait_until(routed, what=f"report {report_id} to be routed")
        before_read = now_in_ms()
        contact = await api.get(
            f"/api/v1/staff/reports/{report_id}/contact",
            headers=staff_headers("e2e-privacy-clerk", ["clerk"], LIGHTS),
        )
        assert contact.status_code == 200, contact.text
        after_read = datetime.now(UTC)
        await wait_until(
            lambda: running_system.mailbox.received(address), what="the confirmation mail"
        )

        async def mails_listed() -> dict[str, Any] | None:
            answer = await api.get(f"/api/v1/track/{token}/data")
            assert answer.status_code == 200, answer.text
            data: dict[str, Any] = answer.json()
            steps = {(m["channel"], m["step"]) for m in data["messages"]}
            return data if {("email", "submitted"), ("email", "routed")} <= steps else None

        # The data answer allows 30 requests a minute per client (every test shares 127.0.0.1):
        # asked every 0.1 s while a busy machine took more than 3 s, it answered 429.
        data = await wait_until(
            mails_listed, timeout=60, interval=2.5, what="both mails in the data answer"
        )
        tracking_page = await api.get(f"/track/{token}")
        privacy_page = await api.get("/privacy?lang=en")
        unknown = await api.get("/api/v1/track/no-such-token/data")

    assert data["contact"] == {
        "email": address,
        "name": "Anna Beispiel",
        "phone": "0203 123456",
        "language": "de",
    }
    assert data["report"]["id"] == report_id
    sent_at = [datetime.fromisoformat(m["at"]) for m in data["messages"]]
    assert all(started <= at <= datetime.now(UTC) for at in sent_at), sent_at
    [read] = data["staff_reads"]
    department = load_directory().get(LIGHTS)
    assert department is not None
    assert (read["department_id"], read["department_name"], read["role"]) == (
        LIGHTS,
        department.name(),
        "clerk",
    )
    assert before_read <= datetime.fromisoformat(read["at"]) <= after_read
    assert "e2e-privacy-clerk" not in str(data)

    assert tracking_page.status_code == 200
    assert "Ihre Daten bei uns" in tracking_page.text
    assert department.name() in tracking_page.text
    assert address not in tracking_page.text  # shown masked; in full only in the data answer
    assert address[:2] + "\u2022\u2022\u2022@example.org" in tracking_page.text
    assert "90 days after the report is closed" in privacy_page.text
    assert unknown.status_code == 404
    assert unknown.json()["code"] == "tracking_token_unknown"
