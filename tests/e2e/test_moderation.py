"""Moderation on the running system: a hidden report, a redacted description and a removed photo
are gone from every public output (JSON, GeoJSON, Open311 JSON and XML, pages) within a second,
and the reporter's tracking page says what the city did and why."""

import json
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import httpx
import pytest
from playwright.async_api import Browser, expect

from stadtmelder_reports.core.catalogue import load_jurisdiction
from tests.browser import new_context
from tests.conftest import LocalSystem
from tests.examples import KOENIGSTRASSE, geotagged_jpeg, valid_answers
from tests.system import staff_headers, staff_token, wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()
CATEGORY = "illegal_dumping"
V2 = "/open311/v2"
# The promise: what staff take from the public is gone from every output within this.
PROMISE_SECONDS = 1.0


@pytest.fixture(scope="module")
def dispatcher() -> dict[str, str]:
    return staff_headers("e2e-moderator", ["dispatcher"])


@pytest.fixture
async def api(running_system: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as client:
        yield client


@dataclass(frozen=True)
class Submitted:
    id: str
    token: str
    description: str
    photo_path: str


async def submitted_with_photo(api: httpx.AsyncClient, description: str) -> Submitted:
    fields = {
        "category": CATEGORY,
        "description": description,
        "lat": str(KOENIGSTRASSE[0]),
        "lon": str(KOENIGSTRASSE[1]),
        "answers": json.dumps(valid_answers(DUISBURG.category(CATEGORY))),
    }
    photo = ("foto.jpg", geotagged_jpeg(*KOENIGSTRASSE), "image/jpeg")
    response = await api.post("/api/v1/reports/form", data=fields, files=[("photos", photo)])
    assert response.status_code == 201, response.text
    body = response.json()
    photo_url = str(body["photos"][0]["url"])
    return Submitted(
        str(body["id"]), str(body["tracking_token"]), description, httpx.URL(photo_url).path
    )


async def moderate(
    api: httpx.AsyncClient, headers: dict[str, str], report_id: str, **body: object
) -> None:
    response = await api.post(
        f"/api/v1/staff/reports/{report_id}/moderation", json=body, headers=headers
    )
    assert response.status_code == 200, response.text


async def within_the_promise(change: str, checks: dict[str, Callable[[], Awaitable[bool]]]) -> None:
    """Each output, asked right after the staff answer, shows the change within the promise."""
    for output, holds in checks.items():
        what = f"{change} to reach {output}"
        await wait_until(holds, timeout=PROMISE_SECONDS, interval=0.05, what=what)


class PublicOutputs:
    """Every public output, each asked about one report."""

    def __init__(self, api: httpx.AsyncClient, report: Submitted) -> None:
        self.api = api
        self.report = report

    async def json_report(self) -> httpx.Response:
        return await self.api.get(f"/api/v1/reports/{self.report.id}")

    async def json_list_ids(self) -> list[str]:
        items = (await self.api.get("/api/v1/reports", params={"limit": 200})).json()["items"]
        return [str(item["id"]) for item in items]

    async def geojson_features(self) -> list[dict[str, object]]:
        params: dict[str, str | int] = {"limit": 200, "format": "geojson"}
        collection = (await self.api.get("/api/v1/reports", params=params)).json()
        return [f for f in collection["features"] if f["id"] == self.report.id]

    async def nearby_ids(self) -> list[str]:
        params: dict[str, str | float] = {
            "category": CATEGORY,
            "lat": KOENIGSTRASSE[0],
            "lon": KOENIGSTRASSE[1],
        }
        found = (await self.api.get("/api/v1/reports/nearby", params=params)).json()
        return [str(item["report"]["id"]) for item in found]

    async def open311(self, fmt: str) -> httpx.Response:
        return await self.api.get(f"{V2}/requests/{self.report.id}.{fmt}")

    async def open311_list(self, fmt: str) -> httpx.Response:
        params = {"service_request_id": self.report.id}
        return await self.api.get(f"{V2}/requests.{fmt}", params=params)

    async def page(self) -> httpx.Response:
        return await self.api.get(f"/reports/{self.report.id}")

    async def list_page(self) -> str:
        return (await self.api.get("/reports", params={"status": "all"})).text

    async def photo(self) -> int:
        return (await self.api.get(self.report.photo_path)).status_code


async def test_a_hidden_report_is_gone_from_every_public_output_within_a_second(
    api: httpx.AsyncClient, dispatcher: dict[str, str]
) -> None:
    report = await submitted_with_photo(api, f"Sperrmüll, Nachbar beleidigt ({uuid.uuid4().hex})")
    public = PublicOutputs(api, report)
    assert (await public.json_report()).status_code == 200
    assert report.id in await public.json_list_ids()
    assert report.id in (await public.open311_list("xml")).text
    assert await public.photo() == 200

    await moderate(api, dispatcher, report.id, action="hide", reason="Beleidigung")

    async def missing_from_json() -> bool:
        answer = await public.json_report()
        return answer.status_code == 404 and report.id not in await public.json_list_ids()

    async def missing_from_geojson() -> bool:
        return await public.geojson_features() == []

    async def missing_from_nearby() -> bool:
        return report.id not in await public.nearby_ids()

    async def missing_from_open311_json() -> bool:
        single, listed = await public.open311("json"), await public.open311_list("json")
        return single.status_code == 404 and "errors" not in listed.text and listed.json() == []

    async def missing_from_open311_xml() -> bool:
        single, listed = await public.open311("xml"), await public.open311_list("xml")
        return single.status_code == 404 and report.id not in listed.text

    async def missing_from_pages() -> bool:
        page = await public.page()
        return page.status_code == 404 and report.id not in await public.list_page()

    async def photo_gone() -> bool:
        return await public.photo() == 404

    await within_the_promise(
        "hiding",
        {
            "the JSON API": missing_from_json,
            "GeoJSON": missing_from_geojson,
            "nearby suggestions": missing_from_nearby,
            "Open311 JSON": missing_from_open311_json,
            "Open311 XML": missing_from_open311_xml,
            "the public pages": missing_from_pages,
            "the photo URL": photo_gone,
        },
    )
    tracking = await api.get(f"/track/{report.token}", params={"lang": "de"})
    assert tracking.status_code == 200
    assert "ausgeblendet" in tracking.text
    assert "Beleidigung" in tracking.text
    assert report.photo_path not in tracking.text


async def test_a_redacted_description_and_removed_photo_are_gone_within_a_second(
    api: httpx.AsyncClient, dispatcher: dict[str, str]
) -> None:
    original = f"Sperrmüll vor Haus 3, Kennzeichen DU-XY {uuid.uuid4().hex[:4]}"
    report = await submitted_with_photo(api, original)
    redacted = f"Sperrmüll vor Haus 3 ({report.id})"
    public = PublicOutputs(api, report)
    assert original in (await public.open311("xml")).text

    await moderate(api, dispatcher, report.id, action="redact", text=redacted, reason="Kennzeichen")
    await moderate(api, dispatcher, report.id, action="remove_photo", photo=1, reason="Gesicht")

    async def json_redacted() -> bool:
        view = (await public.json_report()).json()
        return bool(view["description"] == redacted and view["photos"] == [])

    async def geojson_redacted() -> bool:
        (feature,) = await public.geojson_features()
        properties = feature["properties"]
        assert isinstance(properties, dict)
        return bool(properties["description"] == redacted and properties["photos"] == [])

    async def open311_json_redacted() -> bool:
        (single,) = (await public.open311("json")).json()
        (listed,) = (await public.open311_list("json")).json()
        return all(
            r["description"] == redacted and not r.get("media_url") for r in (single, listed)
        )

    async def open311_xml_redacted() -> bool:
        texts = [(await public.open311("xml")).text, (await public.open311_list("xml")).text]
        return all(redacted in t and original not in t and "/photos/" not in t for t in texts)

    async def page_redacted() -> bool:
        text = (await public.page()).text
        return redacted in text and original not in text and report.photo_path not in text

    async def photo_gone() -> bool:
        return await public.photo() == 404

    await within_the_promise(
        "the redaction and photo removal",
        {
            "the JSON API": json_redacted,
            "GeoJSON": geojson_redacted,
            "Open311 JSON": open311_json_redacted,
            "Open311 XML": open311_xml_redacted,
            "the public page": page_redacted,
            "the photo URL": photo_gone,
        },
    )
    tracking = (await api.get(f"/track/{report.token}", params={"lang": "de"})).text
    # The reporter's private page keeps their own text and says what everyone else sees.
    assert f"alle anderen sehen: „{redacted}“" in tracking
    assert "ein Foto Ihrer Meldung aus der öffentlichen Ansicht entfernt" in tracking
    assert report.photo_path not in tracking


async def test_a_dispatcher_hides_a_report_with_the_staff_pages_form(
    browser: Browser, running_system: LocalSystem, api: httpx.AsyncClient
) -> None:
    report = await submitted_with_photo(api, f"Sperrmüll am Weg ({uuid.uuid4().hex})")
    staff = await new_context(browser, running_system.reports_url)
    try:
        page = await staff.new_page()
        await page.goto("/staff/login")
        await page.get_by_label("Zugangs-Token").fill(
            staff_token("e2e-web-moderator", ["dispatcher"])
        )
        await page.get_by_role("button", name="Anmelden").click()
        await page.goto(f"/staff/reports/{report.id}")
        await page.locator("#visibility-reason").fill("Beleidigung")
        await page.get_by_role("button", name="Ausblenden").click()
        await expect(page.get_by_role("status")).to_contain_text("Gespeichert.")
        await expect(page.locator("#moderation-title + p")).to_contain_text("ausgeblendet")
    finally:
        await staff.close()
    assert (await api.get(f"/api/v1/reports/{report.id}")).status_code == 404
