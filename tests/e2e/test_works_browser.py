"""Known works in a browser: a citizen placing a report inside works reads so before sending and
can still send; /works and the form with the warning fit a phone and pass axe-core's check."""

import random
import uuid
from datetime import timedelta
from pathlib import Path

from playwright.async_api import Browser, BrowserContext, Page, expect

from stadtmelder_reports.works.texts import city_today
from tests.browser import SCREENSHOTS, new_context, serious_accessibility_violations
from tests.conftest import LocalSystem
from tests.e2e.test_pipeline import a_report, an_address, routed, submit
from tests.e2e.test_web_pages import staff_sign_in, staff_token
from tests.e2e.test_works import MEIDERICH, import_works, routing_has_taken, works_file
from tests.system import a_free_place, wait_until

WIDTHS = (390, 1280)
# In Marxloh, away from the other tests' places: where the dispatcher zooms the map to, at a
# place of its own each run (the works of earlier runs stay).
MARXLOH = (51.4990, 6.7790)


async def shot_at_each_width(page: Page, name: str) -> dict[int, int]:
    """Full-page screenshots at 390 and 1280 px; how wide the page lays out at each."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    laid_out = {}
    for width in WIDTHS:
        await page.set_viewport_size({"width": width, "height": 900})
        await page.evaluate("() => new Promise(done => requestAnimationFrame(done))")
        await page.screenshot(path=str(SCREENSHOTS / f"{name}-{width}.png"), full_page=True)
        laid_out[width] = await page.evaluate("() => document.documentElement.scrollWidth")
    return laid_out


async def test_placing_a_report_inside_works_shows_them_before_sending_and_it_still_sends(
    citizen: BrowserContext, running_system: LocalSystem, tmp_path: Path
) -> None:
    works_id = f"e2e-{uuid.uuid4().hex[:10]}"
    title = f"Kanalsanierung {works_id}"
    # Apart from open graffiti reports (earlier runs' among them), so the form sends at once.
    lat, lon = await a_free_place(running_system.reports_url, "graffiti", MEIDERICH, (0.008, 0.012))
    inside = {"lat": lat, "lon": lon}
    import_works(running_system, works_file(tmp_path, works_id, title, inside))
    page = await citizen.new_page()

    await page.goto("/report?category=graffiti")
    await page.get_by_label("Ja", exact=True).check()
    await page.get_by_label("Was ist kaputt?").fill(f"Graffiti am Bauzaun ({works_id}).")
    await page.get_by_label("Breitengrad").fill(str(inside["lat"]))
    await page.get_by_label("Längengrad").fill(str(inside["lon"]))
    await page.get_by_label("Längengrad").press("Tab")

    hint = page.locator("#works-hint")
    await expect(hint).to_be_visible()
    await expect(hint).to_contain_text("Hier wird bis")
    await expect(hint).to_contain_text(f"gebaut: {title}, Testfirma Tiefbau")
    form_widths = await shot_at_each_width(page, "works-report-form-warning")
    form_violations = await serious_accessibility_violations(page)

    await page.get_by_label("Ohne Kontaktdaten melden (anonym)").check()
    await page.get_by_role("button", name="Meldung absenden").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Danke! Ihre Meldung ist angekommen."
    )

    await page.goto("/works")
    await expect(page.locator(f"#works-{works_id}")).to_contain_text(title)
    works_widths = await shot_at_each_width(page, "works")
    works_violations = await serious_accessibility_violations(page)

    assert form_violations == []
    assert works_violations == []
    assert form_widths[390] <= 390
    assert works_widths[390] <= 390


async def test_the_hint_stays_hidden_outside_works(
    citizen: BrowserContext, running_system: LocalSystem
) -> None:
    page = await citizen.new_page()
    await page.goto("/report?category=graffiti")
    await page.get_by_label("Breitengrad").fill("51.4200")
    await page.get_by_label("Längengrad").fill("6.7500")
    await page.get_by_label("Längengrad").press("Tab")
    # The answer for this place came back: the status line says the point was taken.
    async with page.expect_response(lambda r: "/api/v1/works/here" in r.url) as answered:
        await page.get_by_label("Breitengrad").fill("51.4201")
        await page.get_by_label("Breitengrad").press("Tab")
    assert (await answered.value).ok

    await expect(page.locator("#works-hint")).to_be_hidden()


async def test_a_dispatcher_takes_works_from_the_map_view_and_a_report_there_names_them(
    browser: Browser, running_system: LocalSystem
) -> None:
    context = await new_context(browser, running_system.reports_url)
    page = await context.new_page()
    await staff_sign_in(page, staff_token("dispatcher", None, "works-dispatcher"))
    works_id = f"staff-{uuid.uuid4().hex[:10]}"
    title = f"Leitungsbau {works_id}"
    here = (MARXLOH[0] + random.uniform(-0.01, 0.01), MARXLOH[1] + random.uniform(-0.015, 0.015))
    await page.goto("/staff/works")
    # As if the dispatcher had zoomed in on the street.
    await page.evaluate(
        "([lat, lon]) => window.stadtmelder.maps['works-map'].setView([lat, lon], 19)", here
    )
    await page.get_by_label("Kennung").fill(works_id)
    await page.get_by_label("Was wird gemacht?").fill(title)
    await page.get_by_label("Wer führt aus?").fill("Stadtwerke Test")
    await page.get_by_label("Von", exact=True).fill(city_today().isoformat())
    await page.get_by_label("Bis", exact=True).fill((city_today() + timedelta(days=9)).isoformat())
    await page.get_by_role("button", name="Rechteck aus dem Kartenausschnitt übernehmen").click()
    await expect(page.get_by_label("Rechteck")).not_to_have_value("")
    await page.get_by_role("button", name="Speichern").click()

    await expect(page.get_by_role("status")).to_contain_text(f"Baustelle {works_id} gespeichert")
    await expect(page.locator("main")).to_contain_text(title)
    violations = await serious_accessibility_violations(page)
    await context.close()
    await wait_until(
        lambda: routing_has_taken(running_system, works_id),
        timeout=60,
        what="routing to consume the works the dispatcher saved",
    )
    place = {"lat": round(here[0], 6), "lon": round(here[1], 6)}
    report_id = await submit(running_system, a_report(an_address(), category="graffiti", **place))
    view = await routed(running_system, report_id, timeout=60)

    assert violations == []
    assert works_id in [w["id"] for w in view["works"]]
