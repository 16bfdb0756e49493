"""Supporters' double opt-in on the running system (Kafka, FerretDB, the SMTP sink): an address
given with a support gets one mail, the confirmation request, and nothing else until its link is
followed; then it hears the report's steps. The confirmation page in Chromium, at phone and
desktop width, with axe-core."""

from collections.abc import AsyncIterator
from email.message import EmailMessage

import httpx
import pytest
from playwright.async_api import BrowserContext

from stadtmelder_shared import topics
from tests.browser import screenshots, serious_accessibility_violations
from tests.conftest import LocalSystem
from tests.e2e.test_erasure import a_routed_report, an_address, mailed_saying, mails_about, text_of
from tests.supporter_steps import CONFIRM_LINK, notify_has_read
from tests.system import records_with_key, staff_headers, wait_until

pytestmark = pytest.mark.e2e
CONFIRMED_TYPE = "org.stadtmelder.report.supporter-confirmed"
PHONE_390 = {"width": 390, "height": 844}


@pytest.fixture
async def api(running_system: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as client:
        yield client


@pytest.fixture(scope="module")
def clerk() -> dict[str, str]:
    return staff_headers("e2e-support-clerk", ["clerk"], "stadt-licht")


async def support(api: httpx.AsyncClient, report_id: str, address: str, language: str) -> int:
    response = await api.post(
        f"/api/v1/reports/{report_id}/support", json={"email": address, "language": language}
    )
    assert response.status_code == 200, response.text
    return int(response.json()["supporter_count"])


async def move(
    api: httpx.AsyncClient, clerk: dict[str, str], report_id: str, to: str, comment: str
) -> None:
    body = {"to": to, "public_comment": comment}
    response = await api.post(
        f"/api/v1/staff/reports/{report_id}/transitions", json=body, headers=clerk
    )
    assert response.status_code == 200, response.text


async def the_request(system: LocalSystem, address: str, report_id: str) -> EmailMessage:
    async def probe() -> list[EmailMessage]:
        return mails_about(system, address, report_id)

    [mail] = await wait_until(probe, what=f"the confirmation request to {address}")
    return mail


async def test_only_a_confirmed_supporter_hears_the_reports_steps(
    running_system: LocalSystem, api: httpx.AsyncClient, clerk: dict[str, str]
) -> None:
    reporter, ben, eve = an_address("reporter"), an_address("ben"), an_address("eve")
    report_id = (await a_routed_report(api, reporter))["id"]

    assert await support(api, report_id, ben, "en") == 1  # counted at once
    assert await support(api, report_id, eve, "tr") == 2
    assert await support(api, report_id, ben, "en") == 2  # once per address
    request = await the_request(running_system, ben, report_id)
    assert request["Subject"] == f"Please confirm your address for report {report_id}"
    turkish = await the_request(running_system, eve, report_id)
    assert turkish["Subject"] == f"{report_id} numaralı bildirim için lütfen adresinizi onaylayın"
    await notify_has_read(running_system, topics.REPORTS_SUPPORTED, report_id)

    await move(api, clerk, report_id, "acknowledged", "Wir kommen am Montag.")
    await mailed_saying(running_system, reporter, "Montag")
    await notify_has_read(running_system, topics.REPORTS_STATUS_CHANGED, report_id)
    assert [len(mails_about(running_system, who, report_id)) for who in (ben, eve)] == [1, 1]

    [link] = CONFIRM_LINK.findall(text_of(request))
    async with httpx.AsyncClient(timeout=30) as browser:
        asked = await browser.get(link, headers={"accept": "text/html"})
        assert asked.status_code == 200, asked.text
        assert "Would you like to hear about each further step" in asked.text
        done = await browser.post(link, headers={"accept": "application/json"})
        assert done.status_code == 200, done.text
        assert done.json()["confirmed"] is True
    confirmations = [
        r
        for r in await records_with_key(running_system.kafka, topics.REPORTS_SUPPORTED, report_id)
        if r["headers"].get("ce_type") == CONFIRMED_TYPE
    ]
    assert len(confirmations) == 1
    assert ben not in str(confirmations[0]["value"])
    await notify_has_read(running_system, topics.REPORTS_SUPPORTED, report_id)

    await move(api, clerk, report_id, "in_progress", "Das Leuchtmittel ist bestellt.")
    [update] = await mailed_saying(running_system, ben, "bestellt")
    assert update["Subject"] != request["Subject"]
    await notify_has_read(running_system, topics.REPORTS_STATUS_CHANGED, report_id)
    assert len(mails_about(running_system, ben, report_id)) == 2
    assert len(mails_about(running_system, eve, report_id)) == 1  # never confirmed


async def test_the_confirmation_page_asks_then_confirms_in_the_site_frame(
    running_system: LocalSystem, api: httpx.AsyncClient, citizen: BrowserContext
) -> None:
    report_id = (await a_routed_report(api, an_address("reporter")))["id"]
    address = an_address("page")
    page = await citizen.new_page()
    await page.goto(f"/reports/{report_id}")
    await page.get_by_label("E-Mail für Neuigkeiten (freiwillig)").fill(address)
    await page.get_by_role("button", name="Diese Meldung unterstützen").click()
    await page.wait_for_url(f"**/reports/{report_id}?supported=confirm")
    assert (
        "bestätigen Sie Ihre E-Mail-Adresse mit dem Link"
        in await page.get_by_role("status").inner_text()
    )

    [link] = CONFIRM_LINK.findall(text_of(await the_request(running_system, address, report_id)))
    assert link.endswith("?lang=de")
    await page.goto(link)
    await page.get_by_role("heading", name="Adresse bestätigen").wait_for()
    assert await serious_accessibility_violations(page) == []
    await screenshots(page, "support-confirm-question", PHONE_390)

    # The site's language switcher: the question again, in English, and the click in English.
    await page.get_by_role("link", name="English").click()
    await page.get_by_role("heading", name="Confirm your address").wait_for()
    await page.get_by_role("button", name="Yes, keep me informed").click()
    await page.get_by_role("heading", name="Address confirmed").wait_for()
    assert f"at each further step of report {report_id}" in await page.content()
    assert await serious_accessibility_violations(page) == []
    await screenshots(page, "support-confirm-done", PHONE_390)
    await page.get_by_role("link", name=f"Go to report {report_id}").click()
    await page.wait_for_url(f"**/reports/{report_id}?lang=en")
    await page.close()
