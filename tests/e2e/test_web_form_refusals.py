"""The report form in real headless Chromium refuses what it cannot keep before anything is
uploaded (too many photos, a photo over the limit, "tell me by e-mail" without an address when
photos would be lost), and without JavaScript the server says the same with what was typed."""

import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, FilePayload, Page, Request, expect

from stadtmelder_reports.settings import ReportsSettings
from tests.browser import new_context
from tests.conftest import LocalSystem
from tests.examples import KOENIGSTRASSE, geotagged_jpeg

pytestmark = pytest.mark.e2e

FORM = "/report?category=street_light_out"
SEND = "Meldung absenden"
THANKS = "Danke! Ihre Meldung ist angekommen."
# A sent form waits for its photos to be cleaned, which on a busy machine takes a while.
SENT = 30_000


@pytest.fixture
async def without_script(
    browser: Browser, running_system: LocalSystem
) -> AsyncIterator[BrowserContext]:
    context = await new_context(browser, running_system.reports_url, java_script_enabled=False)
    yield context
    await context.close()


def a_photo(name: str, data: bytes | None = None) -> FilePayload:
    data = geotagged_jpeg(*KOENIGSTRASSE) if data is None else data
    return {"name": name, "mimeType": "image/jpeg", "buffer": data}


def posts_of(page: Page) -> list[Request]:
    """Every form post the page sends, in order; a post the check let through comes first."""
    sent: list[Request] = []
    page.on("request", lambda r: sent.append(r) if r.method == "POST" else None)
    return sent


async def fill_the_rest(page: Page, description: str) -> None:
    await page.get_by_label("Was ist kaputt?").fill(description)
    await page.get_by_label("Adresse oder Ort").fill("Königstraße 40, 47051 Duisburg")


async def test_more_than_three_photos_are_refused_in_the_browser_and_none_is_uploaded(
    citizen: BrowserContext,
) -> None:
    page = await citizen.new_page()
    sent = posts_of(page)
    await page.goto(FORM)
    description = f"Laterne dunkel ({uuid.uuid4().hex[:6]})"
    await fill_the_rest(page, description)
    await page.get_by_label("E-Mail-Adresse").fill(f"web-{uuid.uuid4().hex[:8]}@example.org")
    photos = page.get_by_label("Fotos auswählen")
    await photos.set_input_files(files=[a_photo(f"{n}.jpg") for n in range(1, 6)])

    check = page.locator("#photos-check")
    await expect(check).to_have_text(
        "Sie haben 5 Fotos ausgewählt. Es gehen höchstens 3. "
        "Bitte wählen Sie höchstens 3 Fotos aus."
    )
    await expect(page.locator("#photo-previews img")).to_have_count(0)
    await expect(photos).to_have_attribute("aria-invalid", "true")
    await page.get_by_role("button", name=SEND).click()
    await expect(photos).to_be_focused()

    # Fixed, it goes: the first post the page sends carries the two photos, not the five.
    await photos.set_input_files(files=[a_photo("1.jpg"), a_photo("2.jpg")])
    await expect(check).to_be_hidden()
    await expect(page.locator("#photo-previews img")).to_have_count(2)
    await page.get_by_role("button", name=SEND).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(THANKS, timeout=SENT)
    assert len(sent) == 1
    assert (sent[0].post_data_buffer or b"").count(b'name="photos"') == 2


async def test_a_photo_over_the_limit_is_refused_before_it_is_uploaded(
    citizen: BrowserContext,
) -> None:
    limit = ReportsSettings().max_photo_bytes
    page = await citizen.new_page()
    sent = posts_of(page)
    await page.goto(FORM)
    await fill_the_rest(page, f"Laterne flackert ({uuid.uuid4().hex[:6]})")
    await page.get_by_label("Ohne Kontaktdaten melden").check()
    photos = page.get_by_label("Fotos auswählen")
    large = b"\xff\xd8\xff" + bytes(limit * 21 // 20 - 3)  # 10.5 MB at a 10 MB limit
    await photos.set_input_files(files=[a_photo("gross.jpg", large)])

    await expect(page.locator("#photos-check")).to_have_text(
        "Foto 1 („gross.jpg“) ist 10,5 MB groß. Ein Foto darf höchstens 10 MB groß sein. "
        "Bitte wählen Sie ein kleineres Foto."
    )
    await page.get_by_role("button", name=SEND).click()
    await expect(photos).to_be_focused()

    await photos.set_input_files(files=[a_photo("klein.jpg")])
    await page.get_by_role("button", name=SEND).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(THANKS, timeout=SENT)
    assert len(sent) == 1
    assert len(sent[0].post_data_buffer or b"") < limit


async def test_email_chosen_but_empty_is_said_before_photos_are_uploaded_and_lost(
    citizen: BrowserContext,
) -> None:
    page = await citizen.new_page()
    sent = posts_of(page)
    await page.goto(FORM)
    await fill_the_rest(page, f"Laterne aus ({uuid.uuid4().hex[:6]})")
    await page.get_by_label("Fotos auswählen").set_input_files(files=[a_photo("laterne.jpg")])
    await page.get_by_role("button", name=SEND).click()

    email = page.get_by_label("E-Mail-Adresse")
    await expect(page.locator("#email-check")).to_have_text(
        "Sie haben „Per E-Mail informieren“ gewählt. Bitte schreiben Sie Ihre E-Mail-Adresse "
        "– oder wählen Sie „Ohne Kontaktdaten melden“."
    )
    await expect(email).to_be_focused()
    await expect(page.locator("#photo-previews img")).to_have_count(1)

    address = f"web-{uuid.uuid4().hex[:8]}@example.org"
    await email.fill(address)
    await expect(page.locator("#email-check")).to_be_hidden()
    await page.get_by_role("button", name=SEND).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(THANKS, timeout=SENT)
    await expect(page.get_by_role("status")).to_contain_text(
        "Sie bekommen eine E-Mail, sobald sich etwas tut."
    )
    assert len(sent) == 1


async def test_email_chosen_but_empty_comes_back_from_the_server_in_turkish_with_all_typed(
    citizen: BrowserContext,
) -> None:
    page = await citizen.new_page()
    await page.goto("/report?category=graffiti&lang=tr")
    await page.get_by_label("Evet", exact=True).check()
    description = f"Okul duvarında grafiti ({uuid.uuid4().hex[:6]})"
    await page.get_by_label("Ne bozuk?").fill(description)
    await page.get_by_label("Adres veya yer").fill("Königstraße 40, 47051 Duisburg")
    await page.get_by_label("Ad (isteğe bağlı)").fill("Ayşe Örnek")
    await page.get_by_role("button", name="Bildirimi gönder").click()

    await expect(page.locator("#email-error")).to_have_text(
        "“E-posta ile haber ver” seçeneğini seçtiniz. Lütfen e-posta adresinizi yazın ya da "
        "“İletişim bilgisi olmadan bildir” seçeneğini seçin.",
        timeout=SENT,
    )
    await expect(page.get_by_label("Ne bozuk?")).to_have_value(description)
    await expect(page.get_by_label("Adres veya yer")).to_have_value(
        "Königstraße 40, 47051 Duisburg"
    )
    await expect(page.get_by_label("Ad (isteğe bağlı)")).to_have_value("Ayşe Örnek")
    await expect(page.get_by_label("Evet", exact=True)).to_be_checked()
    await expect(page.locator("#contact-email")).to_be_checked()

    await page.get_by_label("İletişim bilgisi olmadan bildir").check()
    await page.get_by_role("button", name="Bildirimi gönder").click()
    await expect(page.get_by_role("status")).to_contain_text(
        "E-posta adresi vermediğiniz için size e-posta göndermeyeceğiz.", timeout=SENT
    )


async def test_without_javascript_too_many_photos_come_back_with_what_was_typed(
    without_script: BrowserContext,
) -> None:
    page = await without_script.new_page()
    await page.goto(FORM)
    description = f"Laterne kaputt ({uuid.uuid4().hex[:6]})"
    await fill_the_rest(page, description)
    await page.get_by_label("E-Mail-Adresse").fill("anna@example.org")
    await page.get_by_label("Name (freiwillig)").fill("Anna Beispiel")
    await page.get_by_label("Fotos auswählen").set_input_files(
        files=[a_photo(f"{n}.jpg") for n in range(1, 5)]
    )
    await page.get_by_role("button", name=SEND).click()

    await expect(page.locator("#photos-error")).to_have_text(
        "Sie haben 4 Fotos ausgewählt. Es gehen höchstens 3. "
        "Bitte wählen Sie höchstens 3 Fotos aus.",
        timeout=SENT,
    )
    await expect(page.locator("#photos-again")).to_contain_text(
        "Bitte wählen Sie Ihre Fotos noch einmal aus."
    )
    await expect(page.get_by_label("Was ist kaputt?")).to_have_value(description)
    await expect(page.get_by_label("E-Mail-Adresse")).to_have_value("anna@example.org")
    await expect(page.get_by_label("Name (freiwillig)")).to_have_value("Anna Beispiel")


async def test_without_javascript_a_text_file_named_jpg_is_refused_in_german(
    without_script: BrowserContext,
) -> None:
    page = await without_script.new_page()
    await page.goto(FORM)
    await fill_the_rest(page, f"Laterne ({uuid.uuid4().hex[:6]})")
    await page.get_by_label("Ohne Kontaktdaten melden").check()
    await page.get_by_label("Fotos auswählen").set_input_files(
        files=[a_photo("notiz.jpg", b"Milch, Brot\n" * 50)]
    )
    await page.get_by_role("button", name=SEND).click()

    await expect(page.locator("#photos-error")).to_have_text(
        "Foto 1 („notiz.jpg“) ist kein Foto, das wir lesen können. "
        "Bitte wählen Sie ein Foto als JPEG, PNG oder WebP.",
        timeout=SENT,
    )


async def test_without_javascript_photos_over_the_apps_limit_get_the_form_page_not_json(
    without_script: BrowserContext, tmp_path: Path
) -> None:
    limit = ReportsSettings().max_photo_bytes
    files = []
    for n in range(1, 5):
        path = tmp_path / f"{n}.jpg"
        path.write_bytes(b"\xff\xd8\xff" + bytes(limit - 1024))
        files.append(path)
    page = await without_script.new_page()
    await page.goto(FORM)
    await fill_the_rest(page, "Laterne")
    await page.get_by_label("Fotos auswählen").set_input_files(files=files)
    await page.get_by_role("button", name=SEND).click()

    await expect(page.locator("#photos-error")).to_contain_text(
        "Ihre Meldung war zu groß, um sie anzunehmen: Es gehen höchstens 3 Fotos mit je "
        "höchstens 10 MB.",
        timeout=SENT,
    )
