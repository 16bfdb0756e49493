"""The erasure link in mails: opening it erases nothing, its POST erases whom it was made for."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_notify.links import MailLinks
from stadtmelder_reports.app import build_app
from stadtmelder_reports.citizen_links.domain import LinkTokens
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.erasure.service import ErasureService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from tests.data_key_fakes import InMemoryDataKeys
from tests.erasure_fakes import DestroyedKeys, InMemoryContactStore
from tests.fakes import InMemoryReportRepository
from tests.unit.test_erasure import CANARY, DUISBURG, submitted

SECRET = b"erasure-link-test-secret"
ERASED_AT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
MAIL_LINKS = MailLinks("https://melder.example", SECRET)


@pytest.fixture
def repository() -> InMemoryReportRepository:
    return InMemoryReportRepository()


@pytest.fixture
def service(repository: InMemoryReportRepository) -> ReportService:
    return ReportService(repository, DUISBURG, data_keys=InMemoryDataKeys())


@pytest.fixture
async def client(
    repository: InMemoryReportRepository, service: ReportService
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    erasure = ErasureService(
        repository,
        InMemoryContactStore(repository),
        DestroyedKeys().destroy,
        clock=lambda: ERASED_AT,
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.erasure = erasure
        app.state.link_tokens = LinkTokens(SECRET)
        yield

    app = build_app(lifespan, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(20))
    async with AsyncTestClient(app) as client:
        yield client


def path_of(link: str) -> str:
    return link.removeprefix("https://melder.example")


async def test_the_reporters_mail_link_asks_first_and_its_post_erases(
    client: AsyncTestClient[Litestar], service: ReportService, repository: InMemoryReportRepository
) -> None:
    new = await submitted(service)
    link = path_of(MAIL_LINKS.erasure(new.report.id, str(CANARY.email)))

    page = await client.get(link, headers={"accept": "text/html"})
    assert page.status_code == 200
    assert '<form method="post">' in page.text
    assert repository.reports[new.report.id].reporter is not None  # opening erased nothing

    erased = await client.post(link, headers={"accept": "application/json"})

    assert erased.status_code == 200
    assert erased.json()["erased"] is True
    assert repository.reports[new.report.id].reporter is None
    assert repository.reports[new.report.id].contact_erased_at == ERASED_AT


async def test_a_link_for_someone_not_kept_erases_nothing_and_says_so(
    client: AsyncTestClient[Litestar], service: ReportService, repository: InMemoryReportRepository
) -> None:
    new = await submitted(service)
    link = path_of(MAIL_LINKS.erasure(new.report.id, "someone-else@example.org"))

    answer = await client.post(link, headers={"accept": "application/json"})

    assert answer.status_code == 200
    assert answer.json()["erased"] is False
    assert repository.reports[new.report.id].reporter == CANARY


async def test_a_link_signed_for_another_purpose_is_refused(
    client: AsyncTestClient[Litestar], service: ReportService
) -> None:
    new = await submitted(service)
    unsubscribe = MAIL_LINKS.unsubscribe(new.report.id, str(CANARY.email))
    token = unsubscribe.rsplit("/", 1)[1]

    answer = await client.post(f"/api/v1/erasure/{token}", headers={"accept": "application/json"})

    assert answer.status_code == 404
    assert answer.json()["code"] == "link_invalid"
