"""A clerk signs in through the local OpenID Provider (deploy/local/oidc/, a real certified
provider, not a mock) in headless Chromium: from the department mail's link, back to that
report, to resolved, and out again; a tampered answer gets an error page and no session.

Screenshots land in var/test-artifacts/screenshots/ as staff-sign-in-*.png.
"""

import re
import uuid
from collections.abc import AsyncIterator

import httpx
import pytest
from playwright.async_api import Browser, BrowserContext, Page, Response, expect

from stadtmelder_reports.core.catalogue import load_jurisdiction
from tests.browser import new_context, screenshots, serious_accessibility_violations
from tests.conftest import LocalSystem
from tests.e2e.test_web_pages import a_place_in_the_city_centre, take_step
from tests.examples import valid_answers
from tests.system import wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()
# The parks department has a mailbox; its clerk is one of deploy/local/oidc/users.json.
MAILBOX = "gruen@wbd.example"
CLERK = ("clerk-gruen", "stadtmelder")
SESSION_COOKIE = "stadtmelder_staff"
PHONE_390 = {"width": 390, "height": 844}


@pytest.fixture(scope="module")
def provider(running_system: LocalSystem) -> str:
    running_system.start("oidc")
    port = running_system.profile.reports_port + 10
    return f"http://127.0.0.1:{port}"


@pytest.fixture
async def clerk(browser: Browser, running_system: LocalSystem) -> AsyncIterator[BrowserContext]:
    context = await new_context(browser, running_system.reports_url)
    yield context
    await context.close()


class Seen:
    """Every document the browser showed: none may be JSON, none may show a token."""

    def __init__(self, page: Page) -> None:
        self.documents: list[tuple[str, str]] = []
        self.shown: list[tuple[str, str]] = []
        page.on("response", self._record)

    def _record(self, response: Response) -> None:
        if response.request.resource_type == "document":
            kind = response.headers.get("content-type", "")
            self.documents.append((response.url, kind))

    def json_documents(self) -> list[str]:
        return [url for url, kind in self.documents if "json" in kind]

    def urls_with_tokens(self) -> list[str]:
        return [url for url, _ in self.documents if re.search(r"(id|access)_token=|eyJ", url)]

    async def look(self, page: Page) -> None:
        """Keep what the page shows now (its whole HTML, hidden fields too) for `shown_tokens`."""
        self.shown.append((page.url, await page.content()))

    def shown_tokens(self) -> list[str]:
        """The pages whose HTML holds a JWT (base64 JSON begins `eyJ`) or a named token."""
        return [url for url, html in self.shown if re.search(r"eyJ|(id|access)_token", html)]


async def a_routed_playground_report(system: LocalSystem) -> tuple[str, str]:
    """A report of broken playground equipment and the staff link of its department mail."""
    lat, lon = a_place_in_the_city_centre()
    category = DUISBURG.category("playground_damage")
    async with httpx.AsyncClient(base_url=system.reports_url, timeout=30) as api:
        created = await api.post(
            "/api/v1/reports",
            json={
                "category": "playground_damage",
                "answers": valid_answers(category),
                "description": f"Die Schaukelkette ist gerissen ({uuid.uuid4().hex[:6]}).",
                "lat": lat,
                "lon": lon,
            },
        )
    assert created.status_code == 201, created.text
    report_id = str(created.json()["id"])

    async def staff_link() -> str | None:
        for message in system.mailbox.messages_to(MAILBOX):
            if message["X-Stadtmelder-Report-Id"] == report_id:
                text = str(message.get_body(("plain",)).get_content())  # type: ignore[union-attr]
                found = re.search(rf"https?://\S+/staff/reports/{report_id}\b", text)
                return found[0] if found else None
        return None

    link = await wait_until(staff_link, timeout=60, what="the department mail's staff link")
    return report_id, link


async def sign_in_at_the_provider(page: Page, provider: str) -> None:
    await expect(page).to_have_url(re.compile(re.escape(provider) + "/interaction/"))
    await page.get_by_label("Benutzername").fill(CLERK[0])
    await page.get_by_label("Passwort").fill(CLERK[1])
    await page.get_by_role("button", name="Anmelden").click()


async def has_session(context: BrowserContext) -> bool:
    return any(cookie["name"] == SESSION_COOKIE for cookie in await context.cookies())


async def test_a_clerk_opens_the_mail_link_signs_in_at_the_city_and_resolves_the_report(
    clerk: BrowserContext, running_system: LocalSystem, provider: str
) -> None:
    report_id, link = await a_routed_playground_report(running_system)
    page = await clerk.new_page()
    seen = Seen(page)

    await page.goto(link)
    await expect(page.get_by_role("heading", level=1)).to_have_text("Anmeldung bei der Stadt")
    violations = {"provider-login": await serious_accessibility_violations(page)}
    await screenshots(page, "staff-sign-in-01-provider", phone=PHONE_390)
    await sign_in_at_the_provider(page, provider)

    await expect(page).to_have_url(link)
    await expect(page.get_by_role("heading", level=1)).to_contain_text(report_id)
    await expect(page.locator("body")).to_contain_text("Gül Grün")
    await seen.look(page)
    await screenshots(page, "staff-sign-in-02-report", phone=PHONE_390)
    await take_step(page, "Angenommen")
    await seen.look(page)
    await take_step(page, "In Arbeit")
    await take_step(page, "Erledigt", public_comment="Die Kette wurde ersetzt.")
    await seen.look(page)
    async with httpx.AsyncClient(base_url=running_system.reports_url) as api:
        public = (await api.get(f"/api/v1/reports/{report_id}")).json()
    assert public["status"] == "resolved"

    await page.get_by_role("button", name="Abmelden", exact=True).click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Auch bei der Stadt abmelden?")
    await seen.look(page)
    await page.get_by_role("button", name="Ja, abmelden").click()
    await expect(page.get_by_role("status")).to_have_text("Sie sind bei Stadtmelder abgemeldet.")
    violations["signed-out"] = await serious_accessibility_violations(page)
    await screenshots(page, "staff-sign-in-03-signed-out", phone=PHONE_390)
    assert not await has_session(clerk)
    # Signed out at the provider too: the link asks for the password again.
    await page.goto(link)
    await expect(page.get_by_label("Passwort")).to_be_visible()

    await page.goto("/staff/login")
    await expect(page.get_by_role("link", name="Mit dem Zugang der Stadt anmelden")).to_be_visible()
    # Only here, in the local profile, and said so.
    await expect(page.get_by_role("heading", level=2)).to_contain_text(
        "Nur für die lokale Entwicklung"
    )
    violations["sign-in-page"] = await serious_accessibility_violations(page)
    await screenshots(page, "staff-sign-in-00-page", phone=PHONE_390)

    assert {name: found for name, found in violations.items() if found} == {}
    assert seen.json_documents() == []
    assert seen.urls_with_tokens() == []
    await seen.look(page)
    assert len(seen.shown) == 5
    assert seen.shown_tokens() == []


async def test_an_answer_with_a_wrong_state_gets_an_error_page_and_no_session(
    clerk: BrowserContext, running_system: LocalSystem, provider: str
) -> None:
    first = await clerk.new_page()
    seen = Seen(first)
    await first.goto("/staff")
    await expect(first.get_by_label("Passwort")).to_be_visible()
    # A second sign-in in the same browser replaces the first one's state, so the provider's
    # answer to the first carries a state this browser no longer expects.
    second = await clerk.new_page()
    await second.goto("/staff/sign-in?next=/staff")
    await expect(second.get_by_label("Passwort")).to_be_visible()

    await sign_in_at_the_provider(first, provider)

    await expect(first.get_by_role("heading", level=1)).to_have_text(
        "Die Anmeldung hat nicht geklappt"
    )
    await expect(first.get_by_role("alert")).to_contain_text("Sie sind nicht angemeldet")
    await expect(first.locator(".brand")).to_be_visible()  # in the site's frame
    assert await serious_accessibility_violations(first) == []
    await screenshots(first, "staff-sign-in-04-wrong-state", phone=PHONE_390)
    assert not await has_session(clerk)
    assert seen.json_documents() == []
    # Signed in at the provider, yet not here: trying again goes through, with a fresh state.
    await first.get_by_role("link", name="Neu anmelden").click()
    await expect(first.get_by_role("heading", level=1)).to_contain_text("Arbeitsliste")
    assert await has_session(clerk)


async def test_a_sign_in_cancelled_at_the_provider_is_explained_in_the_sites_frame(
    clerk: BrowserContext, provider: str
) -> None:
    page = await clerk.new_page()
    await page.goto("/staff/sign-in?next=/staff")
    await expect(page).to_have_url(re.compile(re.escape(provider)))

    await page.get_by_role("button", name="Abbrechen").click()

    await expect(page.get_by_role("alert")).to_contain_text("abgebrochen")
    assert not await has_session(clerk)
