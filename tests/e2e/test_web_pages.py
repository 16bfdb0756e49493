"""The web pages in real headless Chromium against the running system: a citizen reports
with a photo, a clerk resolves it in the staff pages, the citizen answers "is it fixed?";
the main pages pass axe-core's WCAG 2.1 AA check; screenshots at 360 and 1280 px.

Screenshots land in var/test-artifacts/screenshots/ for people to look at.
"""

import random
import re
import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, FilePayload, Page, expect

from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.staff.token import ensure_signing_key, issue_token
from tests.browser import (
    PHONE,
    new_context,
    screenshots,
    serious_accessibility_violations,
    width_at_phone_size,
)
from tests.conftest import LocalSystem
from tests.examples import KOENIGSTRASSE, geotagged_jpeg
from tests.system import ROOT, a_free_place, wait_until

pytestmark = pytest.mark.e2e


@pytest.fixture
async def clerk_browser(
    browser: Browser, running_system: LocalSystem
) -> AsyncIterator[BrowserContext]:
    context = await new_context(browser, running_system.reports_url)
    yield context
    await context.close()


def staff_token(role: str, department: str | None, subject: str) -> str:
    """Signed with the development key the running reports service checks, as `make token`."""
    settings = ReportsSettings()
    key_file = settings.staff_signing_key_file
    key = ensure_signing_key(key_file if key_file.is_absolute() else ROOT / key_file)
    return issue_token(key, subject, [role], department, settings.staff_audience)


def a_place_in_the_city_centre() -> tuple[float, float]:
    """A point of its own near Königstraße, so no earlier report there counts as a duplicate."""
    return (
        round(KOENIGSTRASSE[0] + random.uniform(-0.006, 0.006), 6),
        round(KOENIGSTRASSE[1] + random.uniform(-0.009, 0.009), 6),
    )


async def report_view(base_url: str, report_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as api:
        response = await api.get(f"/api/v1/reports/{report_id}")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body


async def reload_until_visible(page: Page, text: str, what: str) -> None:
    async def shown() -> bool:
        await page.reload()
        return await page.get_by_text(text, exact=False).count() > 0

    await wait_until(shown, timeout=60, interval=0.5, what=what)


async def staff_sign_in(page: Page, token: str) -> None:
    await page.goto("/staff/login")
    await page.get_by_label("Zugangs-Token").fill(token)
    await page.get_by_role("button", name="Anmelden").click()


async def take_step(page: Page, status_label: str, public_comment: str = "") -> None:
    await page.get_by_role("radio", name=status_label, exact=True).check()
    if public_comment:
        await page.get_by_label("Nachricht an die Öffentlichkeit").fill(public_comment)
    await page.get_by_role("button", name="Speichern").click()
    await expect(page.get_by_role("status")).to_contain_text("Gespeichert.")


async def test_a_citizen_reports_with_a_photo_a_clerk_resolves_it_and_the_citizen_confirms_the_fix(
    citizen: BrowserContext, clerk_browser: BrowserContext, running_system: LocalSystem
) -> None:
    page = await citizen.new_page()
    await page.goto("/")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Was möchten Sie melden?")
    await screenshots(page, "01-home")

    await page.get_by_role("link", name=re.compile("Straßenlaterne aus")).click()
    await expect(page.get_by_role("heading", level=1)).to_contain_text("Straßenlaterne aus")
    # The map takes a click even when its tiles cannot load.
    await page.locator("#pick-map").click()
    await expect(page.locator("#lat")).not_to_have_value("")
    # No open street light report within the duplicate radius, or the form would ask about it.
    lat, lon = await a_free_place(running_system.reports_url, "street_light_out", KOENIGSTRASSE)
    await page.get_by_label("Breitengrad").fill(str(lat))
    await page.get_by_label("Längengrad").fill(str(lon))
    description = f"Die Laterne vor Hausnummer 12 ist dunkel ({uuid.uuid4().hex[:6]})."
    await page.get_by_label("Was ist kaputt?").fill(description)
    photo: FilePayload = {
        "name": "laterne.jpg",
        "mimeType": "image/jpeg",
        "buffer": geotagged_jpeg(lat, lon, size=(640, 480)),
    }
    await page.get_by_label("Fotos auswählen").set_input_files(files=[photo])
    await expect(page.locator("#photo-previews img")).to_have_count(1)
    email = f"web-{uuid.uuid4().hex[:10]}@example.org"
    await page.get_by_label("E-Mail-Adresse").fill(email)
    # What becomes public is shown before sending, and the address is not part of it.
    preview = page.locator("#public-preview")
    await expect(preview).to_contain_text(description)
    await expect(preview).not_to_contain_text(email)
    await screenshots(page, "02-report-form")

    await page.get_by_role("button", name="Meldung absenden").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Danke! Ihre Meldung ist angekommen."
    )
    number = await page.get_by_text("Ihre Meldungsnummer").inner_text()
    report_id = number.split(":")[1].strip()
    tracking_url = page.url.split("?")[0]
    await expect(page.locator(".photos img")).to_have_count(1)
    await expect(page.locator("body")).to_contain_text(description)
    await expect(page.locator("body")).not_to_contain_text(email)
    # Offered where the browser can take push messages; not clicked: that would reach out to
    # the browser vendor's push service, off this machine.
    await expect(
        page.get_by_role("button", name="In diesem Browser benachrichtigen")
    ).to_be_visible()
    await screenshots(page, "03-confirmation")

    await reload_until_visible(page, "An zuständige Stelle weitergeleitet", "the report routed")
    department = (await report_view(running_system.reports_url, report_id))["department"]["id"]

    staff = await clerk_browser.new_page()
    await staff_sign_in(staff, staff_token("clerk", department, "web-clerk"))
    await expect(staff.get_by_role("heading", level=1)).to_contain_text("Arbeitsliste")
    await staff.get_by_role("link", name=re.compile("Straßenlaterne aus")).first.wait_for()
    await screenshots(staff, "04-staff-queue")
    await staff.goto(f"/staff/reports/{report_id}")
    await expect(staff.locator(".photos img")).to_have_count(1)
    await expect(staff.locator("body")).not_to_contain_text(email)
    await staff.get_by_role("button", name="Kontaktdaten anzeigen").click()
    await expect(staff.locator("#contact-title + .facts")).to_contain_text(email)
    await take_step(staff, "Angenommen")
    await take_step(staff, "In Arbeit")
    await screenshots(staff, "05-staff-report")
    await take_step(staff, "Erledigt", public_comment="Das Leuchtmittel wurde getauscht.")

    await page.goto(tracking_url)
    await expect(page.locator(".facts")).to_contain_text("Erledigt")
    await expect(page.locator("body")).to_contain_text("Das Leuchtmittel wurde getauscht.")
    await expect(page.get_by_role("heading", name="Ist der Mangel behoben?")).to_be_visible()
    await screenshots(page, "06-status-resolved")
    await page.get_by_label("Ja, er ist behoben").check()
    await page.get_by_label("5 – sehr zufrieden").check()
    await page.get_by_role("button", name="Antwort senden").click()
    await expect(page.get_by_role("status")).to_contain_text("Danke für Ihre Antwort")

    view = await report_view(running_system.reports_url, report_id)
    assert [(f["outcome"], f["rating"]) for f in view["feedback"]] == [("fixed", 5)]
    await page.goto(f"/reports/{report_id}")
    await expect(page.locator("body")).to_contain_text("Ja, er ist behoben (5/5)")


async def test_a_report_is_made_without_javascript_by_address_alone(
    browser: Browser, running_system: LocalSystem
) -> None:
    context = await new_context(browser, running_system.reports_url, java_script_enabled=False)
    page = await context.new_page()
    await page.goto("/report?category=graffiti&lang=en")
    await page.get_by_label("Yes", exact=True).check()
    await page.get_by_label("What is broken?").fill("Graffiti on the school wall.")
    await page.get_by_label("Address or place").fill("Königstraße 40, 47051 Duisburg")
    await page.get_by_label("Report without contact details").check()
    await page.get_by_role("button", name="Send report").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you! Your report has arrived."
    )
    await expect(page.locator(".facts")).to_contain_text("Königstraße 40, 47051 Duisburg")
    await context.close()


async def test_a_form_without_description_or_place_says_what_is_missing_in_turkish(
    citizen: BrowserContext,
) -> None:
    page = await citizen.new_page()
    await page.goto("/report?category=street_light_out&lang=tr")
    await page.get_by_role("button", name="Bildirimi gönder").click()

    summary = page.locator("#error-summary")
    await expect(summary).to_contain_text("Lütfen sorunu anlatın.")
    await expect(summary).to_contain_text("Lütfen sorunun nerede olduğunu belirtin")
    await expect(page.locator("#description")).to_have_attribute("aria-invalid", "true")
    await screenshots(page, "07-form-errors-tr")

    # A mistyped address: the site's page in the language chosen, not the API's JSON.
    missing = await page.goto("/raporlar-yok")
    assert missing is not None
    assert missing.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Bulunamadı")
    await expect(page.get_by_role("link", name="Bildirimleri gör").first).to_be_visible()


async def test_a_dangerous_answer_stops_the_report_with_advice_to_call(
    citizen: BrowserContext,
) -> None:
    page = await citizen.new_page()
    await page.goto("/report?category=playground_damage")
    await page.get_by_label("Schaukel").check()
    await page.locator("#answer-danger-yes").check()
    await page.get_by_label("Was ist kaputt?").fill("Kind eingeklemmt")
    await page.get_by_label("Adresse oder Ort").fill("Spielplatz am Kantpark")
    await page.get_by_role("button", name="Meldung absenden").click()

    await expect(page.get_by_role("heading", level=1)).to_contain_text("rufen Sie an")
    await expect(page.get_by_role("alert")).to_contain_text("112")


async def test_the_main_pages_have_no_serious_accessibility_violations_and_fit_a_phone(
    citizen: BrowserContext, clerk_browser: BrowserContext, running_system: LocalSystem
) -> None:
    lat, lon = a_place_in_the_city_centre()
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as api:
        created = await api.post(
            "/api/v1/reports",
            json={
                "category": "playground_litter",
                "description": "Scherben unter der Rutsche.",
                "lat": lat,
                "lon": lon,
                "answers": {"found": ["broken_glass"]},
            },
        )
    assert created.status_code == 201, created.text
    report = created.json()
    page = await citizen.new_page()
    pages = {
        "home": "/",
        "report-form": "/report?category=playground_damage",
        "status": f"/track/{report['tracking_token']}?new=1",
        "reports": "/reports",
        "report": f"/reports/{report['id']}",
        "playgrounds": "/playgrounds",
        "works": "/works",
        "statistics": "/statistics",
        "open-data": "/open-data",
        "alerts": "/alerts",
        "privacy": "/privacy",
        "leichte-sprache": "/leichte-sprache",
        "not-found": "/no-such-page",
        "staff-login": "/staff/login",
    }
    found: dict[str, list[dict[str, Any]]] = {}
    too_wide: dict[str, int] = {}
    for name, path in pages.items():
        await page.goto(path)
        found[name] = await serious_accessibility_violations(page)
        if (width := await width_at_phone_size(page)) > PHONE["width"]:
            too_wide[name] = width
        if name in ("reports", "playgrounds", "alerts"):
            await screenshots(page, f"08-{name}")

    dispatcher = await clerk_browser.new_page()
    await staff_sign_in(dispatcher, staff_token("dispatcher", None, "web-dispatcher"))
    await expect(dispatcher.get_by_role("heading", level=1)).to_contain_text("Zuordnung")
    found["staff-triage"] = await serious_accessibility_violations(dispatcher)
    await screenshots(dispatcher, "09-staff-triage")
    await dispatcher.goto(f"/staff/reports/{report['id']}")
    found["staff-report"] = await serious_accessibility_violations(dispatcher)
    if (width := await width_at_phone_size(dispatcher)) > PHONE["width"]:
        too_wide["staff-report"] = width

    assert {name: v for name, v in found.items() if v} == {}
    assert too_wide == {}


async def test_my_location_finds_an_open_report_nearby_and_i_support_it_instead(
    browser: Browser, running_system: LocalSystem
) -> None:
    # Other tests report graffiti near Königstraße too: this report stands apart from theirs
    # and is told apart by its text.
    lat, lon = await a_free_place(running_system.reports_url, "graffiti", KOENIGSTRASSE)
    description = f"Schmiererei am Kiosk {uuid.uuid4().hex[:8]}."
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as api:
        created = await api.post(
            "/api/v1/reports",
            json={
                "category": "graffiti",
                "description": description,
                "lat": lat,
                "lon": lon,
                "answers": {"offensive": "no"},
            },
        )
    assert created.status_code == 201, created.text
    existing = created.json()["id"]
    context = await new_context(
        browser,
        running_system.reports_url,
        permissions=["geolocation"],
        geolocation={"latitude": lat, "longitude": lon + 0.0001},
    )
    page = await context.new_page()
    await page.goto("/report?category=graffiti")
    await page.get_by_role("button", name="Meinen Standort nutzen").click()
    await expect(page.locator("#place-status")).to_have_text("Standort übernommen.")

    offer = page.locator("#js-duplicates")
    await expect(offer).to_contain_text("Wurde das schon gemeldet?")
    await expect(offer).to_contain_text(description)
    mine = offer.get_by_role("listitem").filter(has_text=description)
    await mine.get_by_role("button", name="Diese Meldung unterstützen").click()

    await expect(page.get_by_role("status")).to_have_text(
        "Danke! Sie unterstützen diese Meldung jetzt."
    )
    assert page.url.endswith(f"/reports/{existing}?supported=1")
    view = await report_view(running_system.reports_url, existing)
    assert view["supporter_count"] == 1
    await context.close()


async def test_an_area_alert_ordered_on_the_page_sends_a_confirmation_mail(
    citizen: BrowserContext, running_system: LocalSystem
) -> None:
    email = f"alert-{uuid.uuid4().hex[:10]}@example.org"
    page = await citizen.new_page()
    await page.goto("/alerts")
    await page.get_by_label("E-Mail-Adresse").fill(email)
    await page.get_by_label("Breitengrad").fill(str(KOENIGSTRASSE[0]))
    await page.get_by_label("Längengrad").fill(str(KOENIGSTRASSE[1]))
    await page.get_by_label("Einmal am Tag als Zusammenfassung").check()
    await page.get_by_role("button", name="Benachrichtigung bestellen").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Bitte bestätigen Sie Ihre E-Mail-Adresse"
    )
    await wait_until(
        lambda: running_system.mailbox.received(email), timeout=60, what="the confirmation mail"
    )
