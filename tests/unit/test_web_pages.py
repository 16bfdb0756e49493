"""The web pages over in-memory stores: forms post and redirect without JavaScript, problems are
said in the page's language, nothing personal shows, staff pages need a session and CSRF."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.privacy.service import PrivacyService
from stadtmelder_reports.retention.domain import Periods
from stadtmelder_reports.staff.auth import LOCAL_ISSUER, LocalKeys, TokenVerifier
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.staff.sign_in.service import SignIn
from stadtmelder_reports.staff.token import ensure_signing_key, issue_token
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.report_events import ReportRouted, ReportUnroutable
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import KOENIGSTRASSE
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository, InMemoryStaffRoster

DUISBURG = load_jurisdiction()
DIRECTORY = load_directory()
AUDIENCE = "stadtmelder-staff"
LIGHTS = "stadt-licht"
A_REPORT = {
    "category": "street_light_out",
    "description": "Laterne vor Nr. 12 ist dunkel.",
    "lat": str(KOENIGSTRASSE[0]),
    "lon": str(KOENIGSTRASSE[1]),
    "email": "anna@example.org",
    "name": "Anna Beispiel",
}


@dataclass
class Site:
    client: AsyncTestClient[Litestar]
    service: ReportService
    clerk_token: str
    staff_clock: list[timedelta]
    dispatcher_token: str


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    key_file = tmp_path / "staff-key.pem"
    key = ensure_signing_key(key_file)
    reports = InMemoryReportRepository()
    service = ReportService(reports, DUISBURG, directory=DIRECTORY, data_keys=InMemoryDataKeys())
    # How far staff work's clock runs ahead, so due dates can pass in a test.
    ahead = [timedelta()]

    def clock() -> datetime:
        return datetime.now(UTC) + ahead[0]

    audit = InMemoryAuditLog()
    work = WorkService(reports, audit, InMemoryStaffRoster(), DIRECTORY, "duisburg", clock=clock)
    privacy = PrivacyService(reports, audit, DIRECTORY, Periods.of_days(90, 365, 730))

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.work = work
        app.state.privacy = privacy
        app.state.staff_verifier = TokenVerifier(
            LocalKeys(key_file), LOCAL_ISSUER, AUDIENCE, DIRECTORY
        )
        app.state.sign_in = SignIn(DIRECTORY, development_tokens=app.state.staff_verifier)
        yield

    app = build_app(lifespan, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(50))
    async with AsyncTestClient(app) as client:
        token = issue_token(key, "clerk-licht", ["clerk"], LIGHTS, AUDIENCE, now=datetime.now(UTC))
        dispatcher = issue_token(key, "dispatcher", ["dispatcher"], None, AUDIENCE)
        yield Site(client, service, token, ahead, dispatcher)


async def routed(service: ReportService, report_id: str) -> None:
    report = await service.public_report(report_id)
    await service.record_routing(
        ReportRouted(
            report_id=report_id,
            jurisdiction="duisburg",
            occurred_at=datetime.now(UTC),
            department=DIRECTORY.get(LIGHTS).ref(),  # type: ignore[union-attr]
            category=report.category,
            rule="test",
            caused_by=report.history[0].event_id,
        )
    )


async def test_a_posted_form_redirects_to_the_tracking_page_which_shows_no_contact_data(
    site: Site,
) -> None:
    response = await site.client.post("/report", data=A_REPORT, follow_redirects=False)

    assert response.status_code == 303
    assert re.fullmatch(r"/track/[\w-]+\?new=1", response.headers["location"])
    page = await site.client.get(response.headers["location"])
    assert page.status_code == 200
    assert "Danke! Ihre Meldung ist angekommen." in page.text
    assert "anna@example.org" not in page.text
    assert "Anna Beispiel" not in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_a_form_with_problems_comes_back_with_what_was_typed_and_sentences_in_english(
    site: Site,
) -> None:
    form = {**A_REPORT, "description": "", "lat": "", "lon": "", "email": "not-an-address"}
    response = await site.client.post("/report?lang=en", data=form)

    assert response.status_code == 400
    assert "Please check the e-mail address" in response.text
    assert 'value="not-an-address"' in response.text


async def test_the_place_outside_the_city_is_explained_in_turkish(site: Site) -> None:
    form = {**A_REPORT, "lat": "51.2277", "lon": "6.7735"}
    response = await site.client.post("/report?lang=tr", data=form)

    assert response.status_code == 400
    assert "Yazdığınız koordinatlar Duisburg&#39;da değil" in response.text


async def test_an_open_report_nearby_is_offered_for_support_before_a_second_is_filed(
    site: Site,
) -> None:
    await site.client.post("/report", data=A_REPORT, follow_redirects=False)

    again = await site.client.post("/report", data=A_REPORT, follow_redirects=False)

    assert again.status_code == 200
    assert "Wurde das schon gemeldet?" in again.text
    assert 'name="different" value="1">Nein, das ist ein anderer Mangel' in again.text


async def test_the_language_chosen_once_is_kept_by_cookie(site: Site) -> None:
    await site.client.get("/?lang=tr")

    response = await site.client.get("/reports")

    assert '<html lang="tr">' in response.text


async def test_an_unknown_tracking_link_is_a_page_saying_so(site: Site) -> None:
    response = await site.client.get("/track/not-a-real-token")

    assert response.status_code == 404
    assert "Nicht gefunden" in response.text


async def test_staff_pages_send_people_without_a_session_to_the_sign_in(site: Site) -> None:
    response = await site.client.get(f"/staff/queue/{LIGHTS}", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == f"/staff/login?next=%2Fstaff%2Fqueue%2F{LIGHTS}"


async def test_a_staff_post_without_the_csrf_token_is_refused(site: Site) -> None:
    response = await site.client.post(
        "/staff/login", data={"token": site.clerk_token}, follow_redirects=False
    )

    assert response.status_code == 403


async def test_a_clerk_signs_in_and_moves_a_report_on_from_the_queue(site: Site) -> None:
    created = await site.client.post("/report", data=A_REPORT, follow_redirects=False)
    token = created.headers["location"].split("/")[2].split("?")[0]
    report = await site.service.tracked_report(token)
    await routed(site.service, report.id)

    login = await site.client.get("/staff/login")
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', login.text)
    assert csrf is not None
    signed_in = await site.client.post(
        "/staff/login", data={"token": site.clerk_token, "_csrf_token": csrf[1]}
    )
    assert f"/staff/queue/{LIGHTS}" in str(signed_in.url)
    assert report.id in signed_in.text
    session = signed_in.history[0].headers["set-cookie"].lower()
    assert all(flag in session for flag in ("httponly", "samesite=lax", "path=/staff"))

    step = await site.client.post(
        f"/staff/reports/{report.id}/transition",
        data={"to": "acknowledged", "_csrf_token": csrf[1]},
    )

    assert step.status_code == 200
    assert "Gespeichert." in step.text
    assert (await site.service.public_report(report.id)).status == "acknowledged"


async def signed_in_clerk(site: Site, token: str | None = None) -> str:
    login = await site.client.get("/staff/login")
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', login.text)
    assert csrf is not None
    await site.client.post(
        "/staff/login", data={"token": token or site.clerk_token, "_csrf_token": csrf[1]}
    )
    return csrf[1]


async def routed_from_the_form(site: Site) -> Report:
    """A report submitted through the page and routed to the street lights department."""
    created = await site.client.post("/report", data=A_REPORT, follow_redirects=False)
    token = created.headers["location"].split("/")[2].split("?")[0]
    report = await site.service.tracked_report(token)
    await routed(site.service, report.id)
    return report


async def test_the_queue_marks_a_report_past_its_due_date_and_can_show_only_those(
    site: Site,
) -> None:
    late = await routed_from_the_form(site)
    await signed_in_clerk(site)
    on_time = await site.client.get(f"/staff/queue/{LIGHTS}?overdue=true")
    assert late.id not in on_time.text

    site.staff_clock[0] = timedelta(days=30)
    queue = await site.client.get(f"/staff/queue/{LIGHTS}?overdue=true")

    row = re.search(r'<tr class="overdue">.*?</tr>', queue.text, re.DOTALL)
    assert row is not None
    assert late.id in row[0]
    assert "Überfällig" in row[0]


async def test_a_dispatcher_forwards_a_report_from_triage_to_the_department_responsible(
    site: Site,
) -> None:
    created = await site.client.post(
        "/report", data={**A_REPORT, "category": "other"}, follow_redirects=False
    )
    token = created.headers["location"].split("/")[2].split("?")[0]
    report = await site.service.tracked_report(token)
    await site.service.record_unroutable(
        ReportUnroutable(
            report_id=report.id,
            jurisdiction=report.jurisdiction,
            occurred_at=datetime.now(UTC),
            category=report.category,
            department=DIRECTORY.triage.ref(),
            reason="no rule",
            caused_by=report.history[0].event_id,
        )
    )
    csrf = await signed_in_clerk(site, site.dispatcher_token)
    triage = await site.client.get("/staff")
    assert "/staff/triage" in str(triage.url)
    assert report.id in triage.text

    without_reason = await site.client.post(
        f"/staff/reports/{report.id}/transition",
        data={"to": "forwarded", "forward_to": LIGHTS, "_csrf_token": csrf},
    )
    assert without_reason.status_code == 400
    assert "Bitte schreiben Sie einen internen Grund." in without_reason.text
    forwarded = await site.client.post(
        f"/staff/reports/{report.id}/transition",
        data={"to": "forwarded", "forward_to": LIGHTS, "reason": "Laterne", "_csrf_token": csrf},
    )

    assert "Gespeichert." in forwarded.text
    moved = await site.service.public_report(report.id)
    assert (moved.status, moved.department.id if moved.department else None) == ("routed", LIGHTS)


async def test_a_staff_post_to_no_step_of_a_report_finds_nothing_and_changes_nothing(
    site: Site,
) -> None:
    report = await routed_from_the_form(site)
    csrf = await signed_in_clerk(site)

    unknown = await site.client.post(
        f"/staff/reports/{report.id}/close", data={"to": "closed", "_csrf_token": csrf}
    )
    contact = await site.client.post(
        f"/staff/reports/{report.id}/contact", data={"_csrf_token": csrf}
    )

    assert unknown.status_code == 404
    assert (await site.service.public_report(report.id)).status == "routed"
    assert contact.status_code == 200
    assert "anna@example.org" in contact.text


async def test_a_clerk_opening_triage_is_told_why_not_in_german_without_an_english_sentence(
    site: Site,
) -> None:
    await signed_in_clerk(site)

    refused = await site.client.get("/staff/triage")

    assert refused.status_code == 403
    assert "Meldungen ohne zuständige Stelle ordnen nur Disposition und Verwaltung zu." in (
        refused.text
    )
    assert "Only dispatchers" not in refused.text


async def test_a_pasted_token_that_is_no_token_is_refused_in_turkish(site: Site) -> None:
    login = await site.client.get("/staff/login?lang=tr")
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', login.text)
    assert csrf is not None

    refused = await site.client.post(
        "/staff/login", data={"token": "not-a-token", "_csrf_token": csrf[1]}
    )

    assert refused.status_code == 401
    assert "Belirteç doğrulanamadı ya da geçerli değil." in refused.text
    assert "JWT" not in refused.text
