"""Playgrounds in real headless Chromium against the running system: the example register is
imported, a report placed beside the Kantpark playground is suggested to it by name and then
listed under it on /playgrounds on a 390-pixel phone, whose card also shows the
average rating and an approved comment; the list and the playground's page pass
axe-core's WCAG 2.1 AA check. Screenshots at 390 and 1280 px land in var/test-artifacts/."""

import math
import random
import re
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from playwright.async_api import BrowserContext, Page, expect
from pymongo import AsyncMongoClient

from stadtmelder_reports.playgrounds.service import import_playgrounds
from stadtmelder_reports.playgrounds.store import MongoPlaygroundStore
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_shared.geo import EARTH_RADIUS_M
from tests.browser import SCREENSHOTS, serious_accessibility_violations
from tests.conftest import LocalSystem
from tests.system import ROOT

pytestmark = pytest.mark.e2e

EXAMPLE = ROOT / "deploy/local/data/playgrounds.example.geojson"
# The south-west corner of the example's Kantpark playground.
KANTPARK_CORNER = (51.42948, 6.76675)
PHONE_390 = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
async def example_register(running_system: LocalSystem) -> AsyncIterator[None]:
    """The example file imported into the running system's database, as `make run` does."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(running_system.mongodb_url)
    try:
        store = MongoPlaygroundStore(client[ReportsSettings().mongodb_database])
        await import_playgrounds(store, EXAMPLE)
        yield
    finally:
        await client.close()


def beside_the_kantpark() -> tuple[float, float]:
    """A point 10 to 40 m south of the playground's outline, a new one each run."""
    south, east = random.uniform(10, 40), random.uniform(0, 40)
    lat, lon = KANTPARK_CORNER
    across = EARTH_RADIUS_M * math.cos(math.radians(lat))
    return (
        round(lat - math.degrees(south / EARTH_RADIUS_M), 6),
        round(lon + math.degrees(east / across), 6),
    )


async def pictures(page: Page, name: str) -> list[Path]:
    """The whole page at 390 and 1280 px, where the other browser tests save theirs."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    written = []
    for label, size in (("390", PHONE_390), ("1280", DESKTOP)):
        await page.set_viewport_size(size)  # type: ignore[arg-type]
        await page.evaluate("() => new Promise(r => requestAnimationFrame(() => r(null)))")
        path = SCREENSHOTS / f"{name}-{label}.png"
        await page.screenshot(path=str(path), full_page=True)
        written.append(path)
    return written


async def send_report(page: Page, lat: float, lon: float, description: str) -> str:
    await page.goto("/report?category=playground_damage")
    await page.get_by_label("Schaukel").check()
    await page.locator("#answer-danger-no").check()
    await page.get_by_label("Was ist kaputt?").fill(description)
    await page.get_by_label("Ohne Kontaktdaten melden").check()
    await page.get_by_label("Breitengrad").fill(str(lat))
    await page.get_by_label("Längengrad").fill(str(lon))
    await page.get_by_label("Längengrad").dispatch_event("change")

    await expect(page.locator("#playground-hint")).to_contain_text("Spielplatz Kantpark?")

    await page.get_by_role("button", name="Meldung absenden").click()
    thanks = page.get_by_role("heading", level=1, name="Danke! Ihre Meldung ist angekommen.")
    offered = page.locator("#duplicates-title")
    await expect(thanks.or_(offered)).to_be_visible()
    if await offered.count():
        # Earlier runs left open reports close by: send this one as a new report anyway.
        await page.get_by_role("button", name="trotzdem melden").click()
    await expect(thanks).to_be_visible()
    number = await page.get_by_text("Ihre Meldungsnummer").inner_text()
    return number.split(":")[1].strip()


async def rate(page: Page, playground_id: str, stars: str, comment: str) -> None:
    """Stars and a comment through the playground's form; the comment waits for moderation."""
    await page.goto(f"/playgrounds/{playground_id}")
    await page.get_by_label(stars).check()
    await page.get_by_label("Kurzer Kommentar (freiwillig)").fill(comment)
    await page.get_by_role("button", name="Bewertung senden").click()
    await expect(page.get_by_role("status")).to_contain_text("sobald die Moderation")


async def rate_and_approve(page: Page, running_system: LocalSystem) -> str:
    """Five stars and a comment for the Kantpark, its comment approved as a moderator would."""
    comment = f"Schöne Kletterwand ({uuid.uuid4().hex[:6]})."
    await rate(page, "example-kantpark", "5 – sehr gut", comment)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(running_system.mongodb_url)
    try:
        store = MongoPlaygroundStore(client[ReportsSettings().mongodb_database])
        # Oldest first: earlier runs' and other tests' pending comments must not push ours out.
        mine = [r for r in await store.pending_comments(100_000) if r.comment == comment]
        assert await store.decide_comment(mine[0].id, "approved", "dispatcher-e2e")
    finally:
        await client.close()
    return comment


async def test_a_report_beside_a_playground_is_suggested_and_listed_under_it_on_a_phone(
    citizen: BrowserContext, example_register: None, running_system: LocalSystem
) -> None:
    page = await citizen.new_page()
    lat, lon = beside_the_kantpark()
    description = f"Die Kette der Schaukel ist gerissen ({uuid.uuid4().hex[:6]})."
    report_id = await send_report(page, lat, lon, description)

    await page.set_viewport_size(PHONE_390)  # type: ignore[arg-type]
    await page.goto("/playgrounds")
    card = page.locator(".card").filter(
        has=page.get_by_role("heading", name="Spielplatz Kantpark", exact=True)
    )
    await expect(card).to_contain_text("Mängel gemeldet")
    await expect(card.locator(f'a[href="/reports/{report_id}"]')).to_be_visible()
    comment = await rate_and_approve(page, running_system)
    await page.goto("/playgrounds")
    await expect(card).to_contain_text("Durchschnitt")
    await expect(card).to_contain_text(comment)
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 390
    await pictures(page, "10-playgrounds")
    list_problems = await serious_accessibility_violations(page)

    await page.set_viewport_size(PHONE_390)  # type: ignore[arg-type]
    await card.get_by_role("link", name="Spielplatz Kantpark").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Spielplatz Kantpark")
    await expect(page.locator(f'a[href="/reports/{report_id}"]')).to_be_visible()
    # The map draws the playground's outline beside its point.
    await expect(page.locator("#playground-map .leaflet-overlay-pane path")).to_have_count(2)
    assert await page.evaluate("() => document.documentElement.scrollWidth") <= 390
    await pictures(page, "11-playground")
    detail_problems = await serious_accessibility_violations(page)

    assert (list_problems, detail_problems) == ([], [])


async def test_a_rating_is_counted_at_once_and_its_comment_waits_for_moderation(
    citizen: BrowserContext, example_register: None
) -> None:
    page = await citizen.new_page()
    comment = f"Viel Schatten, sauberer Sand ({uuid.uuid4().hex[:6]})."
    await rate(page, "example-dellplatz", "4 – gut", comment)

    await expect(page.get_by_text(re.compile(r"^Durchschnitt \d"))).to_be_visible()
    await expect(page.locator("body")).not_to_contain_text(comment)
