"""The fleet's pages in real headless Chromium against the running system: a dispatcher opens a
district's emptying plan, sees it being computed, then its stops listed and its rounds drawn on
the map (asked of fleet and answered over Kafka); everyone sees the road condition map with its
legend and the pieces fleet announced after simulated passes; the pages pass axe-core, fit a
phone and leave their screenshots in var/test-artifacts/screenshots/."""

import random
import uuid
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect

from stadtmelder_fleet.simulator.bins import SimContainer
from stadtmelder_fleet.simulator.readings import SOURCE
from stadtmelder_shared.kafka import KafkaEventPublisher, make_broker
from stadtmelder_shared.sensor_readings import ContainerType
from tests import browser as pages
from tests.conftest import LocalSystem
from tests.e2e.test_fleet import a_place_in_mitte, drive_passes, import_containers, passes_over
from tests.e2e.test_web_pages import staff_sign_in, staff_token
from tests.system import wait_until

pytestmark = pytest.mark.e2e
KINDS: tuple[ContainerType, ...] = ("glass", "paper", "underground")
# Fleet solves the plan and the fixed round (up to twice FLEET_PLAN_SOLVER_SECONDS) on a busy
# machine, and the answer travels back over Kafka.
PLAN_WAIT_MS = 60_000


async def test_a_dispatcher_sees_the_emptying_plan_as_a_list_and_as_rounds_on_the_map(
    citizen: BrowserContext, fleet_system: LocalSystem, tmp_path: Path
) -> None:
    """`citizen` is only a fresh browser profile: it signs in as a dispatcher below."""
    district = f"e2e-pages-{uuid.uuid4().hex[:8]}"
    centre = a_place_in_mitte(random.Random(district))
    # Containers that never reported are planned regardless: nobody can vouch for them.
    containers = [
        SimContainer(f"{district}-{n}", district, (centre[0] + 120 * n, centre[1]), kind, 5.0)
        for n, kind in enumerate(KINDS)
    ]
    import_containers(fleet_system, containers, tmp_path / "containers.csv")
    tomorrow = (datetime.now(ZoneInfo("Europe/Berlin")) + timedelta(days=1)).date()
    page = await citizen.new_page()
    await staff_sign_in(page, staff_token("dispatcher", None, "web-dispatcher"))
    await expect(page.get_by_role("link", name="Leerungsplan")).to_be_visible()

    await page.get_by_role("link", name="Leerungsplan").click()
    await expect(page.get_by_text("Wählen Sie einen Bezirk und einen Tag")).to_be_visible()
    # The test's own district is in no list of the city's: asked for by its id.
    await page.goto(f"/staff/emptying-plan?district={district}&date={tomorrow.isoformat()}")

    # Asked of fleet over Kafka: the page says so and reloads itself until the plan is there.
    await expect(page.get_by_role("status")).to_contain_text("berechnet den Plan")
    stops = page.locator("table.plan-stops tbody tr")
    await expect(stops).to_have_count(3, timeout=PLAN_WAIT_MS)
    await expect(page.get_by_role("heading", level=2)).to_contain_text("Leerungsplan")
    for container in containers:
        await expect(page.locator("table.plan-stops")).to_contain_text(container.id)
    await expect(page.locator("table.plan-stops").first).to_contain_text("Glas")
    await expect(page.get_by_role("link", name="als CSV")).to_be_visible()
    # Each round a line on the map from the depot through its stops, and each stop a point.
    await expect(page.locator("#plan-map path.route-line")).not_to_have_count(0)
    await expect(page.locator("#plan-map path.stop-marker")).to_have_count(3)
    await pages.screenshots(page, "20-staff-emptying-plan")
    assert await pages.serious_accessibility_violations(page) == []
    assert await pages.width_at_phone_size(page) <= pages.PHONE["width"]


async def drive_over_a_defect(system: LocalSystem) -> None:
    """Two trucks twice over a rough spot of their own, as the simulator's trucks drive."""
    rng = random.Random(uuid.uuid4().int)
    run = uuid.uuid4().hex[:8]
    vehicles = [f"e2e-{run}-a", f"e2e-{run}-b"] * 2
    broker = make_broker(system.kafka, client_id="e2e-fleet-pages")
    await broker.connect()
    try:
        sensors = KafkaEventPublisher(broker, SOURCE)
        await drive_passes(sensors, passes_over(a_place_in_mitte(rng), vehicles, rng))
    finally:
        await broker.stop()


async def pieces_on_the_map(page: Page) -> int:
    count: int = await page.evaluate(
        """() => {
            const map = window.stadtmelder && window.stadtmelder.maps["road-map"];
            let pieces = 0;
            if (map) map.eachLayer(layer => { if (layer instanceof L.Polygon) pieces++; });
            return pieces;
        }"""
    )
    return count


async def test_everyone_sees_the_road_condition_map_with_its_legend(
    browser: Browser, fleet_system: LocalSystem
) -> None:
    await drive_over_a_defect(fleet_system)
    context = await pages.new_context(browser, fleet_system.reports_url)
    try:
        page = await context.new_page()
        await page.goto("/")
        await page.get_by_role("link", name="Straßenzustand").click()

        await expect(page.get_by_role("heading", level=1)).to_have_text("Zustand der Straßen")
        legend = page.get_by_role("list", name="Legende")
        await expect(legend.get_by_role("listitem")).to_have_count(5)
        for name in ("gut", "mittel", "schlecht", "sehr schlecht", "unbekannt"):
            await expect(legend).to_contain_text(name)

        async def drawn() -> int:
            await page.reload()
            return await pieces_on_the_map(page)

        assert await wait_until(drawn, timeout=60, interval=1, what="road pieces on the map") > 0
        await pages.screenshots(page, "21-road-conditions")
        assert await pages.serious_accessibility_violations(page) == []
        assert await pages.width_at_phone_size(page) <= pages.PHONE["width"]
    finally:
        await context.close()


async def test_a_dispatcher_sees_the_pieces_with_their_evidence_and_the_exports(
    citizen: BrowserContext, fleet_system: LocalSystem
) -> None:
    await drive_over_a_defect(fleet_system)
    page = await citizen.new_page()
    await staff_sign_in(page, staff_token("dispatcher", None, "web-dispatcher"))

    await page.get_by_role("link", name="Straßenzustand").first.click()

    await expect(page.get_by_role("heading", level=1)).to_have_text("Straßenzustand (Messungen)")
    await expect(page.locator("table.road-pieces tbody tr").first).to_contain_text("Überfahrten")
    async with page.expect_download() as download:
        await page.get_by_role("link", name="als CSV").click()
    saved = await (await download.value).path()
    assert saved.read_text(encoding="utf-8").startswith("piece_id,lat,lon,condition")
    await pages.screenshots(page, "22-staff-road-conditions")
    assert await pages.serious_accessibility_violations(page) == []
    assert await pages.width_at_phone_size(page) <= pages.PHONE["width"]
