"""The site's frame in real headless Chromium: every failure a browser meets is a page of the site
in its language while apps keep the JSON error; the pages behind mail links stand in the frame
and follow the language just chosen; the page in Leichte Sprache is linked from every page.
Each page passes axe-core's WCAG 2.1 AA check; screenshots at 390 and 1280 px land in
var/test-artifacts/screenshots/ (named frame-*).
"""

import re
import uuid
from collections.abc import AsyncIterator
from email.message import EmailMessage

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, expect
from pymongo.errors import ConnectionFailure

from stadtmelder_reports.errors import NotAllowed, TooManySubmissions
from stadtmelder_shared import topics
from tests.browser import new_context, screenshots, serious_accessibility_violations
from tests.conftest import LocalSystem
from tests.e2e.test_alerts import link_path, subscribe
from tests.e2e.test_notify_loop import (  # `clerk`: the street lights clerk's bearer header
    clerk,  # noqa: F401 - a fixture, found by name
    consumed_by_notify,
    mails,
    plain,
    step,
    submit,
)
from tests.error_fakes import FailingRepository, failing_app
from tests.examples import KOENIGSTRASSE
from tests.local_servers import served
from tests.system import wait_until

pytestmark = pytest.mark.e2e

APP = {"accept": "application/json"}
PHONE = {"width": 390, "height": 844}


async def shown(page: Page, name: str) -> None:
    """The page passes axe-core, and its screenshots are taken."""
    assert await serious_accessibility_violations(page) == []
    await screenshots(page, f"frame-{name}", phone=PHONE)


async def in_the_frame(page: Page) -> None:
    """The site's header with its menu and language switcher, and its footer."""
    await expect(page.get_by_role("navigation", name="Stadtmelder")).to_be_visible()
    await expect(page.locator("nav.languages")).to_be_visible()
    await expect(page.get_by_role("contentinfo")).to_contain_text("112")


async def post_from_the_page(page: Page, action: str) -> int:
    """What a stale or forged form does: a POST the address does not take, without a token."""
    async with page.expect_navigation() as navigation:
        await page.evaluate(
            """(action) => {
                const form = document.createElement('form');
                form.method = 'post';
                form.action = action;
                document.body.append(form);
                form.submit();
            }""",
            action,
        )
    response = await navigation.value
    assert response is not None
    return response.status


# --- error pages --------------------------------------------------------------------------------


async def test_unknown_pages_wrong_methods_and_forged_forms_get_the_sites_pages(
    citizen: BrowserContext, running_system: LocalSystem
) -> None:
    page = await citizen.new_page()

    missing = await page.goto("/no-such-page")
    assert missing is not None
    assert missing.status == 404
    await expect(page.get_by_role("heading", level=1)).to_have_text("Nicht gefunden")
    await in_the_frame(page)
    await shown(page, "404")
    await page.goto("/no-such-page?lang=en")
    await expect(page.get_by_role("heading", level=1)).to_have_text("Not found")

    await page.goto("/privacy?lang=de")
    assert await post_from_the_page(page, "/privacy") == 405
    await expect(page.get_by_role("heading", level=1)).to_have_text("So nicht möglich")
    await shown(page, "405")

    assert await post_from_the_page(page, "/staff/logout") == 403
    await expect(page.get_by_role("heading", level=1)).to_have_text("Kein Zugriff")
    await in_the_frame(page)
    await shown(page, "403")

    async with httpx.AsyncClient(base_url=running_system.reports_url, headers=APP) as api:
        answers = [await api.get("/no-such-page"), await api.post("/privacy")]
    assert [(a.status_code, a.json()["code"]) for a in answers] == [
        (404, "not_found"),
        (405, "method_not_allowed"),
    ]


async def test_with_the_database_away_the_page_says_when_to_come_back_and_apps_get_503(
    citizen: BrowserContext, running_system: LocalSystem
) -> None:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as api:
        created = await api.post(
            "/api/v1/reports",
            json={
                "category": "graffiti",
                "description": "Schmiererei an der Haltestelle.",
                "lat": KOENIGSTRASSE[0],
                "lon": KOENIGSTRASSE[1],
                "answers": {"offensive": "no"},
            },
        )
        assert created.status_code == 201, created.text
        path = f"/reports/{created.json()['id']}"
        page = await citizen.new_page()
        running_system.stop("ferretdb")
        try:
            away = await page.goto(path)
            from_the_api = await api.get(f"/api{path.replace('/reports', '/v1/reports')}")
            assert away is not None
            assert away.status == 503
            await expect(page.get_by_role("heading", level=1)).to_have_text(
                "Gerade nicht erreichbar"
            )
            await expect(page.locator("main")).to_contain_text(
                re.compile(r"Bitte versuchen Sie es in 1 Minute wieder, ab \d\d:\d\d Uhr\.")
            )
            await in_the_frame(page)
            await shown(page, "503")
            assert from_the_api.status_code == 503
            assert from_the_api.json()["code"] == "storage_unavailable"
            assert from_the_api.headers["retry-after"] == "30"
        finally:
            running_system.start("ferretdb")

        async def back() -> bool:
            return (await api.get(path, headers={"accept": "text/html"})).status_code == 200

        await wait_until(back, timeout=60, what="the report page once the database is back")


@pytest.fixture(scope="module")
async def failing_site() -> AsyncIterator[tuple[str, FailingRepository]]:
    """The reports app in this process, its report look-ups failing as a test chooses: for the
    failures the running system shows only by accident (a bug) or by abuse (a flood)."""
    repository = FailingRepository()
    async with served(failing_app(repository), log_config=None) as origin:
        yield origin, repository


@pytest.mark.parametrize(
    ("error", "status", "title", "detail"),
    [
        (TooManySubmissions(90), 429, "Too many requests", "Please try again in 2 minutes, from"),
        (RuntimeError("a bug"), 500, "An error on our side", "please tell us this error reference"),
        (NotAllowed("not yours"), 403, "Access denied", "If you think this is a mistake"),
        (ConnectionFailure("no primary"), 503, "Not available right now", "try again in 1 minute"),
    ],
)
async def test_each_failure_is_a_page_of_the_site_in_the_browser_and_json_for_apps(
    browser: Browser,
    failing_site: tuple[str, FailingRepository],
    error: Exception,
    status: int,
    title: str,
    detail: str,
) -> None:
    base_url, repository = failing_site
    repository.error = error
    context = await new_context(browser, base_url)
    page = await context.new_page()

    answer = await page.goto("/reports/DU-1?lang=en")
    async with httpx.AsyncClient(base_url=base_url, headers=APP) as api:
        from_the_api = await api.get("/api/v1/reports/DU-1")

    assert answer is not None
    assert answer.status == status
    await expect(page.get_by_role("heading", level=1)).to_have_text(title)
    await expect(page.locator("main")).to_contain_text(detail)
    await in_the_frame(page)
    await shown(page, str(status))
    assert from_the_api.status_code == status
    assert from_the_api.headers["content-type"].startswith("application/json")
    if status == 500:
        # Each request logs under its own reference: the page's and the API's differ.
        reference = await page.locator("strong.reference").text_content()
        assert re.fullmatch("[0-9A-F]{8}", reference or "")
        assert re.fullmatch("[0-9A-F]{8}", from_the_api.json()["reference"])
        assert "Traceback" not in await page.content()
    await context.close()


# --- the pages behind mail links ----------------------------------------------------------------


def link_in(mail: EmailMessage, pattern: str) -> str:
    [link] = re.findall(pattern, plain(mail))
    return str(link)


async def test_mail_link_pages_stand_in_the_frame_and_follow_the_language_just_chosen(
    citizen: BrowserContext,
    running_system: LocalSystem,
    clerk: dict[str, str],  # noqa: F811 - the fixture imported above
) -> None:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as api:
        address = f"frame-{uuid.uuid4().hex[:12]}@example.org"
        report_id = (await submit(api, address, "de"))["id"]
        confirmation, _ = await mails(running_system, address, 2)
        english = link_in(confirmation, r"\S+/api/v1/notifications/preferences/\S+language=en")

        page = await citizen.new_page()
        await page.goto(english)
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await in_the_frame(page)
        await expect(page.get_by_label("English")).to_be_checked()
        await shown(page, "mail-language")
        await page.get_by_role("button", name="Save").click()
        await expect(page.locator("main")).to_contain_text("Saved.")
        await expect(page.locator("html")).to_have_attribute("lang", "en")

        await consumed_by_notify(running_system, topics.NOTIFICATION_PREFERENCES, report_id, 0)
        await step(api, clerk, report_id, "acknowledged")
        acknowledged = (await mails(running_system, address, 3))[2]
        assert acknowledged["Content-Language"] == "en"
        await page.goto(str(acknowledged["List-Unsubscribe"]).strip("<>"))
        await expect(page.get_by_role("heading", level=1)).to_have_text(
            f"No more e-mails about report {report_id}?"
        )
        await in_the_frame(page)
        await shown(page, "mail-unsubscribe")
        await page.goto(link_in(acknowledged, r"\S+/api/v1/erasure/\S+"))
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        await in_the_frame(page)
        await shown(page, "mail-erasure")

        await step(api, clerk, report_id, "in_progress")
        await step(api, clerk, report_id, "resolved", public_comment="Lamp replaced.")
        resolved = (await mails(running_system, address, 4))[3]
        await page.goto(link_in(resolved, r"\S+/api/v1/feedback/\S+outcome=fixed"))
        await expect(page.locator("#public-hint")).to_contain_text(
            "your rating appear with the date, but without your name"
        )
        await in_the_frame(page)
        await shown(page, "mail-feedback")


async def test_the_alert_confirmation_page_stands_in_the_frame_in_the_alerts_language(
    citizen: BrowserContext, running_system: LocalSystem
) -> None:
    address = f"frame-alert-{uuid.uuid4().hex[:12]}@example.org"
    mail = await subscribe(
        running_system, address, lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1], language="tr"
    )
    page = await citizen.new_page()

    await page.goto(link_path(mail, "confirm"))

    await expect(page.locator("html")).to_have_attribute("lang", "tr")
    await in_the_frame(page)
    await shown(page, "mail-alert")


# --- Leichte Sprache ----------------------------------------------------------------------------


async def test_the_home_page_and_every_footer_lead_to_the_page_in_leichte_sprache(
    citizen: BrowserContext, running_system: LocalSystem
) -> None:
    page = await citizen.new_page()
    await page.goto("/")
    await page.get_by_role("main").get_by_role("link", name="Leichte Sprache").click()

    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Stadtmelder in Leichter Sprache"
    )
    spacing = await page.locator(".easy p").first.evaluate(
        "p => parseFloat(getComputedStyle(p).lineHeight) / parseFloat(getComputedStyle(p).fontSize)"
    )
    assert spacing >= 1.7
    await in_the_frame(page)
    await shown(page, "leichte-sprache")

    await page.goto("/reports?lang=en")
    footer = page.get_by_role("contentinfo")
    await footer.get_by_role("link", name="Easy English").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Stadtmelder in easy English")
    await shown(page, "easy-english")
    await page.goto("/alerts")
    await footer.get_by_role("link", name="Leichte Sprache (easy German)").click()
    await expect(page.locator("html")).to_have_attribute("lang", "de")
    await expect(page.get_by_role("heading", level=1)).to_have_text(
        "Stadtmelder in Leichter Sprache"
    )
