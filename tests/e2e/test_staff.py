"""Department staff work a report on the running system: queue, steps, public history, forwarding.

The reports service checks development tokens with the key at its default path under `var/`,
which the test creates if missing and signs with, as `make token` does.
"""

import json
import uuid
from collections.abc import AsyncIterator
from datetime import datetime
from typing import Any

import httpx
import pytest

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.staff.token import ensure_signing_key, issue_token
from stadtmelder_shared import topics
from tests.conftest import LocalSystem
from tests.examples import valid_answers
from tests.system import ROOT, records_with_key, wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()
LIGHTS, ROADS, GREEN = "stadt-licht", "wbd-strasse", "wbd-gruen"


@pytest.fixture(scope="module")
def tokens() -> dict[str, str]:
    settings = ReportsSettings()
    key_file = settings.staff_signing_key_file
    key = ensure_signing_key(key_file if key_file.is_absolute() else ROOT / key_file)
    audience = settings.staff_audience
    return {
        "lights": issue_token(key, "e2e-lights-clerk", ["clerk"], LIGHTS, audience),
        "roads": issue_token(key, "e2e-roads-clerk", ["clerk"], ROADS, audience),
        "green": issue_token(key, "e2e-green-clerk", ["clerk"], GREEN, audience),
        "dispatcher": issue_token(key, "e2e-dispatcher", ["dispatcher"], None, audience),
    }


@pytest.fixture
async def api(running_system: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as client:
        yield client


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


async def a_routed_street_light(api: httpx.AsyncClient) -> str:
    response = await api.post(
        "/api/v1/reports",
        json={
            "category": "street_light_out",
            "answers": valid_answers(DUISBURG.category("street_light_out")),
            "description": f"Laterne dunkel ({uuid.uuid4().hex[:6]})",
            "lat": 51.4344,
            "lon": 6.7623,
            "email": f"citizen-{uuid.uuid4().hex[:12]}@example.org",
        },
    )
    assert response.status_code == 201, response.text
    report_id = str(response.json()["id"])

    async def routed() -> bool:
        view = (await api.get(f"/api/v1/reports/{report_id}")).json()
        return bool(view["status"] == "routed")

    await wait_until(routed, what=f"report {report_id} to be routed")
    return report_id


async def step(api: httpx.AsyncClient, token: str, report_id: str, **body: Any) -> httpx.Response:
    return await api.post(
        f"/api/v1/staff/reports/{report_id}/transitions", json=body, headers=bearer(token)
    )


async def queue_ids(api: httpx.AsyncClient, token: str, department: str) -> list[str]:
    return await all_ids(api, token, f"/api/v1/staff/departments/{department}/queue")


async def all_ids(api: httpx.AsyncClient, token: str, path: str) -> list[str]:
    """The ids on every page of a queue."""
    ids: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 200, **({"cursor": cursor} if cursor else {})}
        response = await api.get(path, params=params, headers=bearer(token))
        assert response.status_code == 200, response.text
        page = response.json()
        ids += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return ids


async def test_a_clerk_works_a_report_to_resolved_and_the_public_follows_each_step(
    running_system: LocalSystem, api: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    report_id = await a_routed_street_light(api)
    assert report_id in await queue_ids(api, tokens["lights"], LIGHTS)

    assert (await api.get(f"/api/v1/staff/reports/{report_id}")).status_code == 401
    outsider = await api.get(f"/api/v1/staff/reports/{report_id}", headers=bearer(tokens["green"]))
    assert outsider.status_code == 404
    refused = await step(api, tokens["green"], report_id, to="acknowledged")
    assert refused.status_code == 404

    comments = {
        "acknowledged": "Danke, die Störung ist aufgenommen.",
        "in_progress": None,
        "resolved": "Das Leuchtmittel wurde getauscht.",
    }
    for to, comment in comments.items():
        body = {"to": to, **({"public_comment": comment} if comment else {})}
        response = await step(api, tokens["lights"], report_id, **body)
        assert response.status_code == 200, response.text
    again = await step(api, tokens["lights"], report_id, to="in_progress")
    assert again.status_code == 409
    assert again.json()["allowed"] == ["reopened"]

    public = await api.get(f"/api/v1/reports/{report_id}")
    view = public.json()
    assert view["status"] == "resolved"
    history = view["history"]
    assert [s["status"] for s in history] == [
        "submitted",
        "routed",
        "acknowledged",
        "in_progress",
        "resolved",
    ]
    assert [s["comment"] for s in history[2:]] == list(comments.values())
    times = [datetime.fromisoformat(s["at"]) for s in history]
    assert times == sorted(times)
    assert "e2e-lights-clerk" not in public.text

    async def announced() -> dict[str, dict[str, Any]]:
        records = await records_with_key(
            running_system.kafka, topics.REPORTS_STATUS_CHANGED, report_id
        )
        # Delivery is at least once: a record may come twice, its event id stays the same.
        events = {r["headers"]["ce_id"]: r for r in records}
        return events if len(events) == 3 else {}

    records = list((await wait_until(announced, what="three status-changed events")).values())
    statuses = [json.loads(r["value"])["status"] for r in records]
    assert statuses == ["acknowledged", "in_progress", "resolved"]
    assert records[0]["headers"]["ce_type"] == "org.stadtmelder.report.status-changed"


async def test_a_dispatcher_forwards_a_report_into_another_departments_queue(
    api: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    report_id = await a_routed_street_light(api)

    forwarded = await step(
        api,
        tokens["dispatcher"],
        report_id,
        to="forwarded",
        forward_to=ROADS,
        reason="Der Mast ist umgefahren, die Straße ist beschädigt",
    )

    assert forwarded.status_code == 200, forwarded.text
    assert forwarded.json()["department"]["id"] == ROADS
    assert report_id in await queue_ids(api, tokens["roads"], ROADS)
    assert report_id not in await queue_ids(api, tokens["lights"], LIGHTS)
    gone = await api.get(f"/api/v1/staff/reports/{report_id}", headers=bearer(tokens["lights"]))
    assert gone.status_code == 404
    view = (await api.get(f"/api/v1/reports/{report_id}")).json()
    assert [s["status"] for s in view["history"]][-2:] == ["forwarded", "routed"]
    assert view["department"]["id"] == ROADS


async def test_an_unroutable_report_waits_in_triage_until_a_dispatcher_forwards_it(
    api: httpx.AsyncClient, tokens: dict[str, str]
) -> None:
    response = await api.post(
        "/api/v1/reports",
        json={
            "category": "other",
            "description": f"Unklarer Fall ({uuid.uuid4().hex[:6]})",
            "lat": 51.4344,
            "lon": 6.7623,
            "email": f"citizen-{uuid.uuid4().hex[:12]}@example.org",
        },
    )
    assert response.status_code == 201, response.text
    report_id = response.json()["id"]

    async def in_triage() -> bool:
        view = (await api.get(f"/api/v1/reports/{report_id}")).json()
        return bool(view["status"] == "triage")

    await wait_until(in_triage, what=f"report {report_id} to wait in triage")
    assert report_id in await all_ids(api, tokens["dispatcher"], "/api/v1/staff/triage")
    assert (
        await api.get("/api/v1/staff/triage", headers=bearer(tokens["roads"]))
    ).status_code == 403

    forwarded = await step(
        api, tokens["dispatcher"], report_id, to="forwarded", forward_to=GREEN, reason="Parkbank"
    )

    assert forwarded.status_code == 200, forwarded.text
    assert report_id in await queue_ids(api, tokens["green"], GREEN)
