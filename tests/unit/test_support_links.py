"""The confirmation link of a supporter's address: opening asks, the button confirms, a forged
or expired link gets a page that says so (browsers) or the error body (apps)."""

import dataclasses
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_notify.links import MailLinks
from stadtmelder_reports.app import build_app
from stadtmelder_reports.citizen_links.domain import LinkTokens
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.support.service import SupportService
from stadtmelder_shared.events import Reporter, SupporterConfirmed
from stadtmelder_shared.link_tokens import DEVELOPMENT_LINK_SECRET
from tests.data_key_fakes import InMemoryDataKeys
from tests.fakes import InMemoryReportRepository
from tests.support_fakes import in_memory_support
from tests.unit.test_erasure import DUISBURG, submitted

MAIL_LINKS = MailLinks("https://melder.example", DEVELOPMENT_LINK_SECRET.encode())
HTML = {"accept": "text/html"}
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


class Clock:
    now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def repository() -> InMemoryReportRepository:
    return InMemoryReportRepository()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def support(repository: InMemoryReportRepository, clock: Clock) -> SupportService:
    service = ReportService(repository, DUISBURG, clock=clock, data_keys=InMemoryDataKeys())
    return dataclasses.replace(in_memory_support(service, repository), clock=clock)


@pytest.fixture
async def client(support: SupportService) -> AsyncIterator[AsyncTestClient[Litestar]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = support.reports
        app.state.support = support
        app.state.link_tokens = LinkTokens(DEVELOPMENT_LINK_SECRET.encode())
        yield

    app = build_app(lifespan, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(20))
    async with AsyncTestClient(app) as client:
        yield client


async def a_supported_report(support: SupportService, email: str, language: str) -> tuple[str, str]:
    report_id = (await submitted(support.reports)).report.id
    await support.support(report_id, Reporter(email=email, language=language))
    link = MAIL_LINKS.support_confirmation(report_id, email, language)
    return report_id, link.removeprefix("https://melder.example")


async def test_opening_the_link_asks_and_the_button_confirms_in_the_supporters_language(
    client: AsyncTestClient[Litestar],
    support: SupportService,
    repository: InMemoryReportRepository,
) -> None:
    report_id, link = await a_supported_report(support, "ben@example.org", "en")

    asked = await client.get(link, headers=HTML)
    events = repository.reports[report_id].pending_events
    assert not [
        e for _, e in events if isinstance(e, SupporterConfirmed)
    ]  # opening changed nothing
    done = await client.post(link, headers=HTML)
    again = await client.post(link, headers={"accept": "application/json"})

    assert asked.status_code == 200
    assert "Would you like to hear about each further step" in asked.text
    assert '<form method="post"><button type="submit">Yes, keep me informed' in asked.text
    assert asked.headers["cache-control"] == "no-store"
    assert done.status_code == 200
    assert f"We will write to you at each further step of report {report_id}" in done.text
    assert 'lang="en"' in done.text
    assert "ben@example.org" not in asked.text + done.text
    assert again.json() == {
        "report_id": report_id,
        "confirmed": True,
        "detail": f"Thank you! We will write to you at each further step of report {report_id}.",
    }
    confirmed = [e for _, e in events if isinstance(e, SupporterConfirmed)]
    assert len(confirmed) == 1


async def test_a_forged_link_is_404_and_an_expired_one_says_how_to_get_a_new_one(
    client: AsyncTestClient[Litestar], support: SupportService, clock: Clock
) -> None:
    _, link = await a_supported_report(support, "eve@example.org", "de")
    path, _, query = link.partition("?")
    forged = await client.get(f"{path[:-3]}xyz?{query}", headers=HTML)
    clock.now = START + timedelta(days=8)

    late_page = await client.get(link, headers=HTML)
    late_api = await client.post(link, headers={"accept": "application/json"})

    assert forged.status_code == 404
    assert late_page.status_code == 404
    assert "Dieser Link ist abgelaufen" in late_page.text
    assert "<form" not in late_page.text
    assert late_api.status_code == 404
    assert late_api.json()["code"] == "support_link_expired"
