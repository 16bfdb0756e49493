"""The pages the main sweep leaves out pass axe-core's WCAG 2.1 AA check: a citizen's erasure
page and playground rating answer, the staff works editor and a department's queue, and the
sign-in pages for a cancelled sign-in and an account without staff role; screenshots at 390
and 1280 px."""

import re
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browser import new_context, screenshots, serious_accessibility_violations
from tests.conftest import LocalSystem
from tests.e2e.test_pipeline import a_report, an_address
from tests.e2e.test_playgrounds import example_register  # noqa: F401 (used as a fixture)
from tests.e2e.test_staff_sign_in import provider  # noqa: F401 (used as a fixture)
from tests.e2e.test_web_pages import a_place_in_the_city_centre, staff_sign_in, staff_token
from tests.e2e.test_works import a_place, import_works, works_file

pytestmark = pytest.mark.e2e
PHONE_390 = {"width": 390, "height": 844}


async def checked(page: Page, name: str) -> list[dict[str, Any]]:
    await screenshots(page, f"12-{name}", PHONE_390)
    return await serious_accessibility_violations(page)


async def a_report_with_contact(system: LocalSystem) -> dict[str, Any]:
    lat, lon = a_place_in_the_city_centre()
    async with httpx.AsyncClient(base_url=system.reports_url, timeout=30) as api:
        created = await api.post("/api/v1/reports", json=a_report(an_address(), lat=lat, lon=lon))
    assert created.status_code == 201, created.text
    body: dict[str, Any] = created.json()
    return body


@pytest.mark.usefixtures("example_register")
async def test_citizen_pages_left_out_of_the_sweep_have_no_serious_violations(
    citizen: BrowserContext, running_system: LocalSystem
) -> None:
    report = await a_report_with_contact(running_system)
    page = await citizen.new_page()
    found: dict[str, list[dict[str, Any]]] = {}

    await page.goto(f"/track/{report['tracking_token']}/contact/erase")
    await expect(page.locator("main form")).to_be_visible()
    found["contact-erase"] = await checked(page, "contact-erase")

    await page.goto("/playgrounds/example-kantpark")
    await page.locator("label[for='stars-4']").click()
    await page.locator("form[action$='/rating'] button[type=submit]").click()
    await expect(page.get_by_role("status")).to_be_visible()
    found["playground-rated"] = await checked(page, "playground-rated")

    assert {name: v for name, v in found.items() if v} == {}


async def test_staff_pages_left_out_of_the_sweep_have_no_serious_violations(
    browser: Browser, running_system: LocalSystem, tmp_path: Path
) -> None:
    works_id = f"e2e-{uuid.uuid4().hex[:10]}"
    import_works(
        running_system, works_file(tmp_path, works_id, f"Leitungsbau {works_id}", a_place())
    )
    found: dict[str, list[dict[str, Any]]] = {}
    context = await new_context(browser, running_system.reports_url)
    try:
        page = await context.new_page()
        await staff_sign_in(page, staff_token("dispatcher", None, "axe-dispatcher"))
        await expect(page.get_by_role("heading", level=1)).to_contain_text("Zuordnung")
        await page.goto(f"/staff/works/{works_id}")
        await expect(page.locator("main form").first).to_be_visible()
        found["staff-works-edit"] = await checked(page, "staff-works-edit")
        await page.goto("/staff/queue/stadt-licht")
        await expect(page.get_by_role("heading", level=1)).to_be_visible()
        found["staff-queue"] = await checked(page, "staff-queue")
    finally:
        await context.close()

    assert {name: v for name, v in found.items() if v} == {}


@pytest.mark.usefixtures("provider")
async def test_the_sign_in_cancelled_and_no_staff_role_pages_have_no_serious_violations(
    citizen: BrowserContext,
) -> None:
    page = await citizen.new_page()
    found: dict[str, list[dict[str, Any]]] = {}
    async with page.expect_request(re.compile(r"/auth\?")) as asked:
        await page.goto("/staff/sign-in?next=/staff")
    state = parse_qs(urlsplit((await asked.value).url).query)["state"][0]
    await page.goto(f"/staff/signed-in?error=access_denied&state={state}")
    await expect(page.get_by_role("link", name="Neu anmelden")).to_be_visible()
    found["sign-in-cancelled"] = await checked(page, "sign-in-cancelled")

    await page.goto("/staff/sign-in?next=/staff")
    await expect(page).to_have_url(re.compile("/interaction/"))
    await page.get_by_label("Benutzername").fill("citizen")
    await page.get_by_label("Passwort").fill("stadtmelder")
    await page.get_by_role("button", name="Anmelden").click()
    await expect(page).to_have_url(re.compile("/staff/signed-in"))
    await expect(page.get_by_role("alert")).to_be_visible()
    found["sign-in-no-staff-role"] = await checked(page, "sign-in-no-staff-role")

    assert {name: v for name, v in found.items() if v} == {}
