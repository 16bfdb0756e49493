"""The report form keeps the citizen in flow, in real headless Chromium: reports nearby appear
below the map after the click and the server still asks unless the citizen says "mine is
different"; a dangerous answer warns beside the question at once; photos and everything typed
survive the round trips; the description counts down instead of cutting; a photo's place
outside the city says so. Each state passes axe-core; screenshots at 390 and 1280 px."""

import random
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, FilePayload, Page, expect

from tests.browser import new_context, screenshots, serious_accessibility_violations
from tests.conftest import LocalSystem
from tests.e2e.test_web_form_refusals import posts_of
from tests.examples import KOENIGSTRASSE, geotagged_jpeg
from tests.system import a_free_place

pytestmark = pytest.mark.e2e

PHONE = {"width": 390, "height": 844}
SEND = "Meldung absenden"
THANKS = "Danke! Ihre Meldung ist angekommen."
# A sent form waits for its photos to be cleaned, which on a busy machine takes a while.
SENT = 30_000
ESSEN = (51.4556, 7.0116)


@pytest.fixture
async def without_script(
    browser: Browser, running_system: LocalSystem
) -> AsyncIterator[BrowserContext]:
    """The pages' scripts never load, so each page is what a browser without JavaScript
    shows; JavaScript itself stays on for axe-core and the screenshots, which need it."""
    context = await new_context(browser, running_system.reports_url)
    await context.route("**/*.js", lambda route: route.abort())
    yield context
    await context.close()


def a_place_of_its_own() -> tuple[float, float]:
    """Near Königstraße, a new one each run (for a photo's position, which no duplicate check
    reads)."""
    return (
        round(KOENIGSTRASSE[0] + random.uniform(-0.008, 0.008), 6),
        round(KOENIGSTRASSE[1] + random.uniform(-0.012, 0.012), 6),
    )


async def a_graffiti_free_place(system: LocalSystem) -> tuple[float, float]:
    """Near Königstraße but apart from every open graffiti report, so only ours is nearby."""
    return await a_free_place(system.reports_url, "graffiti", KOENIGSTRASSE, (0.008, 0.012))


def a_photo(name: str, place: tuple[float, float] = KOENIGSTRASSE) -> FilePayload:
    return {"name": name, "mimeType": "image/jpeg", "buffer": geotagged_jpeg(*place)}


async def no_serious_violations(page: Page) -> None:
    assert await serious_accessibility_violations(page) == []


async def open_graffiti_report_at(base_url: str, place: tuple[float, float], text: str) -> None:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        created = await api.post(
            "/api/v1/reports",
            json={
                "category": "graffiti",
                "description": text,
                "lat": place[0],
                "lon": place[1],
                "answers": {"offensive": "no"},
            },
        )
    assert created.status_code == 201, created.text


async def click_the_map_at(page: Page, place: tuple[float, float]) -> None:
    """A real click on the map where `place` is drawn, as a citizen would set the point."""
    point = await page.evaluate(
        """([lat, lon]) => {
            const map = window.stadtmelder.maps["pick-map"];
            map.setView([lat, lon], 18, {animate: false});
            const p = map.latLngToContainerPoint([lat, lon]);
            return {x: p.x, y: p.y};
        }""",
        list(place),
    )
    await page.locator("#pick-map").click(position=point)


async def start_graffiti(page: Page, description: str) -> None:
    await page.goto("/report?category=graffiti")
    await page.get_by_label("Nein", exact=True).check()
    await page.get_by_label("Was ist kaputt?").fill(description)
    await page.get_by_label("Ohne Kontaktdaten melden").check()


async def test_reports_nearby_appear_below_the_map_and_the_server_still_asks_unless_told(
    citizen: BrowserContext, running_system: LocalSystem
) -> None:
    place = await a_graffiti_free_place(running_system)
    earlier = f"Schmiererei am Kiosk ({uuid.uuid4().hex[:6]})"
    await open_graffiti_report_at(running_system.reports_url, place, earlier)
    page = await citizen.new_page()
    await page.set_viewport_size(PHONE)  # type: ignore[arg-type]
    description = f"Graffiti an der Wand ({uuid.uuid4().hex[:6]})"
    await start_graffiti(page, description)

    await click_the_map_at(page, place)
    focused = await page.evaluate("() => document.activeElement.id")
    offer = page.locator("#js-duplicates")
    await expect(offer).to_contain_text(earlier, timeout=SENT)
    # Ours alone: the place stands apart from every other open graffiti report.
    await expect(page.locator("#duplicates-status")).to_have_text(
        "Offene Meldungen dieser Art in der Nähe: 1. Sie stehen unter der Karte."
    )
    await expect(page.locator("#duplicates-status")).to_have_attribute("aria-live", "polite")
    # Where the citizen is looking: below the map, on screen, the focus left where it was.
    await expect(offer).to_be_in_viewport()
    assert await page.evaluate("() => document.activeElement.id") == focused
    below = await page.evaluate(
        "() => document.getElementById('js-duplicates').getBoundingClientRect().top"
        " >= document.getElementById('pick-map').getBoundingClientRect().bottom"
    )
    assert below
    await no_serious_violations(page)
    await screenshots(page, "10-form-nearby-below-map", phone=PHONE)

    # Sent without a word about them, the server asks; nothing typed is lost.
    await page.get_by_role("button", name=SEND).click()
    await expect(page.get_by_role("heading", name="Wurde das schon gemeldet?").first).to_be_visible(
        timeout=SENT
    )
    await expect(page.get_by_label("Was ist kaputt?")).to_have_value(description)
    await expect(page.get_by_label("Ohne Kontaktdaten melden")).to_be_checked()
    await no_serious_violations(page)
    await screenshots(page, "11-form-nearby-asked-by-server", phone=PHONE)

    await page.get_by_role(
        "button", name="Nein, das ist ein anderer Mangel – trotzdem melden"
    ).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(THANKS, timeout=SENT)


async def test_saying_mine_is_different_below_the_map_sends_the_report_at_once(
    citizen: BrowserContext, running_system: LocalSystem
) -> None:
    place = await a_graffiti_free_place(running_system)
    earlier = f"Tag an der Brücke ({uuid.uuid4().hex[:6]})."
    await open_graffiti_report_at(running_system.reports_url, place, earlier)
    page = await citizen.new_page()
    sent = posts_of(page)
    await start_graffiti(page, f"Neues Graffiti ({uuid.uuid4().hex[:6]})")
    await click_the_map_at(page, place)

    offer = page.locator("#js-duplicates")
    await expect(offer).to_contain_text(earlier, timeout=SENT)
    mine = offer.get_by_role("button", name="Nein, mein Mangel ist ein anderer")
    await expect(mine).to_be_visible(timeout=SENT)
    await mine.click()
    await expect(offer).to_contain_text("Gut: Ihre Meldung wird als neuer Mangel gesendet.")
    await expect(offer.locator("p")).to_be_focused()
    await page.get_by_role("button", name=SEND).click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(THANKS, timeout=SENT)
    assert len(sent) == 1


async def test_a_dangerous_answer_warns_beside_the_question_at_once_with_the_numbers(
    citizen: BrowserContext,
) -> None:
    page = await citizen.new_page()
    sent = posts_of(page)
    await page.goto("/report?category=playground_damage")
    question = page.locator("#answer-danger")
    await question.get_by_label("Ja", exact=True).check()

    warning = question.get_by_role("alert")
    await expect(warning).to_contain_text("Das ist gefährlich.")
    await expect(warning.get_by_role("link", name="112 anrufen")).to_have_attribute(
        "href", "tel:112"
    )
    await expect(warning.get_by_role("link", name="110 anrufen")).to_have_attribute(
        "href", "tel:110"
    )
    await no_serious_violations(page)
    await question.scroll_into_view_if_needed()
    await screenshots(page, "12-form-danger-warning", phone=PHONE)
    assert sent == []

    await question.get_by_label("Nein", exact=True).check()
    await expect(warning).to_be_empty()


async def test_without_javascript_the_advice_to_call_leads_back_to_everything_typed(
    without_script: BrowserContext,
) -> None:
    page = await without_script.new_page()
    await page.goto("/report?category=playground_damage")
    await page.get_by_label("Schaukel").check()
    await page.locator("#answer-danger-yes").check()
    description = f"Kind eingeklemmt ({uuid.uuid4().hex[:6]})"
    await page.get_by_label("Was ist kaputt?").fill(description)
    await page.get_by_label("Adresse oder Ort").fill("Spielplatz am Kantpark")
    await page.get_by_label("E-Mail-Adresse").fill("anna@example.org")
    await page.get_by_label("Telefon (freiwillig)").fill("0203 12345")
    await page.get_by_role("button", name=SEND).click()

    await expect(page.get_by_role("heading", level=1)).to_contain_text("rufen Sie an")
    await expect(page.get_by_role("link", name="112 anrufen")).to_be_visible()
    await no_serious_violations(page)
    await screenshots(page, "13-stopped-no-js", phone=PHONE)
    await page.get_by_role("button", name="Zurück zum Formular").click()

    await expect(page.get_by_label("Was ist kaputt?")).to_have_value(description)
    await expect(page.get_by_label("Adresse oder Ort")).to_have_value("Spielplatz am Kantpark")
    await expect(page.get_by_label("Schaukel")).to_be_checked()
    await expect(page.locator("#answer-danger-yes")).to_be_checked()
    await expect(page.get_by_label("E-Mail-Adresse")).to_have_value("anna@example.org")
    await expect(page.get_by_label("Telefon (freiwillig)")).to_have_value("0203 12345")
    await no_serious_violations(page)


async def test_chosen_photos_stay_chosen_when_the_form_comes_back_with_a_problem(
    citizen: BrowserContext,
) -> None:
    page = await citizen.new_page()
    sent = posts_of(page)
    await page.goto("/report?category=street_light_out")
    await page.get_by_label("Adresse oder Ort").fill("Königstraße 40, 47051 Duisburg")
    await page.get_by_label("Ohne Kontaktdaten melden").check()
    photos = page.get_by_label("Fotos auswählen")
    await photos.set_input_files(files=[a_photo("laterne.jpg"), a_photo("mast.jpg")])
    await page.get_by_role("button", name=SEND).click()

    # The server misses the description: the page comes back, the two photos still chosen.
    await expect(page.locator("#description-error")).to_be_visible(timeout=SENT)
    await expect(page.locator("#photos-again")).to_have_text(
        "Ihre Fotos sind noch ausgewählt (laterne.jpg, mast.jpg). "
        "Sie müssen sie nicht noch einmal auswählen."
    )
    await expect(page.locator("#photo-previews img")).to_have_count(2)
    await expect(page.locator('[data-preview="photos"]')).to_have_text("laterne.jpg, mast.jpg")
    await expect(page.get_by_label("Adresse oder Ort")).to_have_value(
        "Königstraße 40, 47051 Duisburg"
    )
    await no_serious_violations(page)
    await screenshots(page, "14-form-photos-kept", phone=PHONE)

    await page.get_by_label("Was ist kaputt?").fill(f"Laterne dunkel ({uuid.uuid4().hex[:6]})")
    await page.get_by_role("button", name=SEND).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(THANKS, timeout=SENT)
    assert len(sent) == 2
    assert (sent[1].post_data_buffer or b"").count(b'name="photos"; filename=') == 2


async def test_the_description_counts_down_and_says_when_it_is_too_long_instead_of_cutting(
    citizen: BrowserContext,
) -> None:
    page = await citizen.new_page()
    await page.goto("/report?category=street_light_out")
    description = page.get_by_label("Was ist kaputt?")
    counter = page.locator("#description-count")
    await expect(counter).to_have_text("Noch 4.000 von 4.000 Zeichen frei.")

    await description.fill("x" * 3990)
    await expect(counter).to_have_text("Noch 10 von 4.000 Zeichen frei.")
    live = page.locator("#description-count-live")
    await expect(live).to_have_text("Noch 10 von 4.000 Zeichen frei.")
    await description.fill("x" * 4000)
    await expect(live).to_have_text(
        "Die Beschreibung hat die Höchstlänge von 4.000 Zeichen erreicht. "
        "Mehr Text passt nicht hinein."
    )
    await description.fill("x" * 4012)
    too_long = "12 Zeichen zu viel: Bitte kürzen Sie die Beschreibung auf höchstens 4.000 Zeichen."
    await expect(counter).to_have_text(too_long)
    await expect(description).to_have_attribute("aria-invalid", "true")
    await no_serious_violations(page)
    await counter.scroll_into_view_if_needed()
    await screenshots(page, "15-form-description-too-long", phone=PHONE)

    sent = posts_of(page)
    await page.get_by_role("button", name=SEND).click()
    await expect(description).to_be_focused()
    assert len(await description.input_value()) == 4012
    assert sent == []


async def test_a_photos_place_outside_the_city_says_it_came_from_the_photo(
    citizen: BrowserContext,
) -> None:
    page = await citizen.new_page()
    await page.goto("/report?category=street_light_out")
    await page.get_by_label("Was ist kaputt?").fill(f"Laterne aus ({uuid.uuid4().hex[:6]})")
    await page.get_by_label("Ohne Kontaktdaten melden").check()
    await page.get_by_label("Fotos auswählen").set_input_files(files=[a_photo("essen.jpg", ESSEN)])
    await page.get_by_role("button", name=SEND).click()

    await expect(page.locator("#address-error")).to_contain_text(
        "Der Ort aus Ihrem Foto liegt nicht in Duisburg.", timeout=SENT
    )
    await expect(page.locator("#photo-previews img")).to_have_count(1)
    await no_serious_violations(page)


async def test_without_javascript_a_returned_form_previews_labels_not_codes(
    without_script: BrowserContext,
) -> None:
    page = await without_script.new_page()
    await page.goto("/report?category=graffiti")
    await page.get_by_label("Nein", exact=True).check()
    await page.get_by_label("Brücke oder Unterführung").check()
    await page.get_by_label("Adresse oder Ort").fill("Königstraße 40, 47051 Duisburg")
    await page.get_by_label("Ohne Kontaktdaten melden").check()
    await page.get_by_role("button", name=SEND).click()

    answers = page.locator('[data-preview="answers"]')
    await expect(answers).to_contain_text("Brücke oder Unterführung", timeout=SENT)
    await expect(answers).not_to_contain_text("bridge")
    await expect(page.get_by_label("Brücke oder Unterführung")).to_be_checked()
    await no_serious_violations(page)
    await screenshots(page, "16-form-preview-no-js", phone=PHONE)


async def test_without_javascript_the_question_about_reports_nearby_keeps_everything_typed(
    without_script: BrowserContext, running_system: LocalSystem
) -> None:
    place = await a_graffiti_free_place(running_system)
    earlier = f"Schmiererei am Tor ({uuid.uuid4().hex[:6]})"
    await open_graffiti_report_at(running_system.reports_url, place, earlier)
    page = await without_script.new_page()
    description = f"Graffiti am Tor ({uuid.uuid4().hex[:6]})"
    await start_graffiti(page, description)
    await page.get_by_label("Breitengrad").fill(str(place[0]))
    await page.get_by_label("Längengrad").fill(str(place[1]))
    await page.get_by_role("button", name=SEND).click()

    await expect(page.locator('section[aria-labelledby="duplicates-title"]')).to_contain_text(
        earlier, timeout=SENT
    )
    await expect(page.get_by_label("Was ist kaputt?")).to_have_value(description)
    await expect(page.get_by_label("Breitengrad")).to_have_value(str(place[0]))
    await expect(page.get_by_label("Nein", exact=True)).to_be_checked()
    await no_serious_violations(page)
    await screenshots(page, "17-form-nearby-asked-no-js", phone=PHONE)

    await page.get_by_role(
        "button", name="Nein, das ist ein anderer Mangel – trotzdem melden"
    ).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(THANKS, timeout=SENT)
