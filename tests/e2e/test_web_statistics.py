"""The statistics and open-data pages in headless Chromium against the running system, with a
report stored: the charts have accessible names and a data table, axe-core finds no serious
violation; screenshots at 390 and 1280 px land in var/test-artifacts/screenshots/."""

from typing import Any

import httpx
import pytest
from playwright.async_api import BrowserContext, expect

from tests.browser import screenshots, serious_accessibility_violations
from tests.conftest import LocalSystem
from tests.e2e.test_open_data import submitted
from tests.system import wait_until

pytestmark = pytest.mark.e2e
PHONE = {"width": 390, "height": 844}


async def a_report_counted(base_url: str) -> None:
    """Sends a report and waits until the statistics (built from events) count it."""
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        before = await _counted(api)
        await submitted(api, "Die Laterne vor Hausnummer 12 ist dunkel.")

        async def counted() -> bool:
            return await _counted(api) > max(before, 0)

        await wait_until(counted, timeout=90, interval=0.5, what="the report in the statistics")


async def _counted(api: httpx.AsyncClient) -> int:
    answer = await api.get("/api/v1/statistics")
    if answer.status_code != 200:
        return -1
    body: dict[str, Any] = answer.json()
    reports: int = body["total"]["reports"]
    return reports


async def test_the_statistics_page_shows_named_charts_with_tables_and_passes_axe(
    citizen: BrowserContext, running_system: LocalSystem
) -> None:
    await a_report_counted(running_system.reports_url)
    page = await citizen.new_page()

    await page.goto("/statistics")

    await expect(page.get_by_role("heading", level=1)).to_have_text("Statistik")
    charts = page.locator("svg[role=img]")
    await expect(charts).to_have_count(4)
    await expect(page.get_by_role("img", name="Meldungen je Kategorie")).to_be_visible()
    for index in range(4):
        name = await charts.nth(index).evaluate(
            "svg => svg.getAttribute('aria-labelledby').split(' ')"
            ".map(id => document.getElementById(id)?.textContent?.trim() || '').join(' ')"
        )
        assert name.strip(), f"chart {index} has no accessible name"
    tables = page.get_by_role("table")
    assert await tables.count() >= 5
    await expect(tables.first.get_by_role("columnheader").first).to_be_visible()
    assert await serious_accessibility_violations(page) == []
    await screenshots(page, "20-statistics", phone=PHONE)


async def test_the_open_data_page_loads_and_passes_axe(
    citizen: BrowserContext, running_system: LocalSystem
) -> None:
    await a_report_counted(running_system.reports_url)
    page = await citizen.new_page()

    answer = await page.goto("/open-data")

    assert answer is not None
    assert answer.status == 200
    await expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert await page.locator("a[href*='geojson']").count() >= 1
    assert await serious_accessibility_violations(page) == []
    await screenshots(page, "21-open-data", phone=PHONE)
