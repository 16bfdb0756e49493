"""Browser tests: the photos the report form keeps in the browser's IndexedDB for its round
trips are forgotten once the report is sent, and any kept longer than an hour are forgotten
whenever the form opens, so none lingers on a shared device."""

import uuid

import pytest
from playwright.async_api import BrowserContext, Page, expect

from tests.e2e.test_web_form_flow import (
    SEND,
    SENT,
    THANKS,
    a_photo,
    a_place_of_its_own,
    start_graffiti,
)
from tests.system import wait_until

pytestmark = pytest.mark.e2e

# Read in the page itself: the database and store names report-form-photos.js keeps them in.
KEPT_KEYS = """() => new Promise((done, failed) => {
    const opening = indexedDB.open("stadtmelder-form", 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore("photos");
    opening.onerror = () => failed(opening.error);
    opening.onsuccess = () => {
        const db = opening.result;
        const reading = db.transaction("photos").objectStore("photos").getAllKeys();
        reading.onsuccess = () => { db.close(); done(reading.result); };
        reading.onerror = () => { db.close(); failed(reading.error); };
    };
})"""

KEEP = """([key, age]) => new Promise((done, failed) => {
    const opening = indexedDB.open("stadtmelder-form", 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore("photos");
    opening.onerror = () => failed(opening.error);
    opening.onsuccess = () => {
        const db = opening.result;
        const writing = db.transaction("photos", "readwrite");
        const file = new File(["x"], "alt.jpg", {type: "image/jpeg"});
        writing.objectStore("photos").put({files: [file], at: Date.now() - age}, key);
        writing.oncomplete = () => { db.close(); done(); };
        writing.onerror = () => { db.close(); failed(writing.error); };
    };
})"""


async def kept_keys(page: Page) -> list[str]:
    keys: list[str] = await page.evaluate(KEPT_KEYS)
    return keys


async def test_the_photos_kept_for_the_form_are_forgotten_once_the_report_is_sent(
    citizen: BrowserContext,
) -> None:
    page = await citizen.new_page()
    await start_graffiti(page, f"Graffiti am Tor ({uuid.uuid4().hex[:6]})")
    # The photo's position is the report's place, apart from other tests' reports.
    photo = a_photo("tor.jpg", a_place_of_its_own())
    await page.get_by_label("Fotos auswählen").set_input_files(files=[photo])
    # Kept as chosen, as a round trip needs: otherwise this test could not fail.
    assert await wait_until(lambda: kept_keys(page), what="the photo kept") == ["graffiti"]

    await page.get_by_role("button", name=SEND).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text(THANKS, timeout=SENT)

    async def nothing_kept() -> bool:
        return await kept_keys(page) == []

    await wait_until(nothing_kept, what="the kept photos forgotten after sending")


async def test_opening_the_form_forgets_photos_kept_longer_than_an_hour(
    citizen: BrowserContext,
) -> None:
    page = await citizen.new_page()
    await page.goto("/")
    await page.evaluate(KEEP, ["litter", 2 * 60 * 60 * 1000])
    await page.evaluate(KEEP, ["street_light_out", 60 * 1000])
    assert sorted(await kept_keys(page)) == ["litter", "street_light_out"]

    # Another category's form: it forgets only its own entry when opened afresh, not these.
    await page.goto("/report?category=graffiti")

    async def only_the_recent_one() -> bool:
        return await kept_keys(page) == ["street_light_out"]

    await wait_until(only_the_recent_one, what="the photos older than an hour forgotten")
