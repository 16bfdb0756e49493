"""The erasure link in mails: opening it erases nothing, its POST erases whom it was made for."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_notify.alerts.mails import AlertLinks
from stadtmelder_notify.links import MailLinks
from stadtmelder_reports.app import build_app
from stadtmelder_reports.citizen_links.domain import LinkTokens
from stadtmelder_reports.core.domain import token_hash
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.erasure.alert_store import Subscriber
from stadtmelder_reports.erasure.service import ErasureService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from tests.command_fakes import Loopback
from tests.data_key_fakes import InMemoryDataKeys
from tests.erasure_fakes import DestroyedKeys, InMemoryAlertContacts, InMemoryContactStore
from tests.fakes import InMemoryReportRepository
from tests.unit.test_erasure import CANARY, DUISBURG, submitted

SECRET = b"erasure-link-test-secret"
ERASED_AT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
MAIL_LINKS = MailLinks("https://melder.example", SECRET)
ALERT_TOKEN = "alert-link-token-of-the-canary"


@pytest.fixture
def repository() -> InMemoryReportRepository:
    return InMemoryReportRepository()


@pytest.fixture
def alerts() -> InMemoryAlertContacts:
    return InMemoryAlertContacts({token_hash(ALERT_TOKEN): Subscriber("alert-1", "duisburg")})


@pytest.fixture
def keys() -> DestroyedKeys:
    return DestroyedKeys()


@pytest.fixture
def service(repository: InMemoryReportRepository) -> ReportService:
    return ReportService(repository, DUISBURG, data_keys=InMemoryDataKeys())


@pytest.fixture(params=["in place", "as commands"])
def commands(request: pytest.FixtureRequest) -> Loopback | None:
    """Erasures applied here, or sent to the report's owner as commands (in memory)."""
    return Loopback(wait_seconds=5.0) if request.param == "as commands" else None


@pytest.fixture
async def client(
    commands: Loopback | None,
    repository: InMemoryReportRepository,
    service: ReportService,
    alerts: InMemoryAlertContacts,
    keys: DestroyedKeys,
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    erasure = ErasureService(
        repository,
        InMemoryContactStore(repository),
        keys.destroy,
        clock=lambda: ERASED_AT,
        alerts=alerts,
        recipient_keys=MAIL_LINKS.recipient_keys,
        commands=commands.asker if commands else None,
    )
    if commands is not None:
        commands.owner.applies("erasure", erasure.apply_command)
        commands.owner.applies("alert-erasure", erasure.apply_command)

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


async def test_an_app_opening_the_link_is_told_what_a_post_does_in_the_links_language(
    client: AsyncTestClient[Litestar], service: ReportService
) -> None:
    new = await submitted(service)
    link = path_of(MAIL_LINKS.erasure(new.report.id, str(CANARY.email)))

    opened = await client.get(link, params={"lang": "tr"}, headers={"accept": "application/json"})

    assert opened.json()["erased"] is None
    assert opened.json()["detail"].startswith("Bu bildirime ait iletişim bilgilerinizi")


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


async def test_an_alert_mails_link_asks_first_then_cancels_the_alert_and_erases_it_once(
    client: AsyncTestClient[Litestar],
    alerts: InMemoryAlertContacts,
    keys: DestroyedKeys,
    commands: Loopback | None,
) -> None:
    link = path_of(AlertLinks("https://melder.example").erasure(ALERT_TOKEN, "de"))

    page = await client.get(link, headers={"accept": "text/html"})
    assert page.status_code == 200
    assert '<form method="post">' in page.text
    assert alerts.erased == {}

    first = await client.post(link, headers={"accept": "application/json"})
    again = await client.post(link, headers={"accept": "application/json"})

    assert (first.status_code, again.status_code) == (200, 200)
    assert first.json()["erased"] is True
    event = alerts.erased["alert-1"].event
    assert (event.subject, event.report_id, event.recipient_key) == (
        "alert_subscriber",
        "alert-1",
        None,
    )
    assert keys.destroyed == ["alert:alert-1", "alert:alert-1"]
    # As commands, keyed by the subscription: its partition's owner is its one writer.
    sent = [(c.report_id, c.action.kind) for c in commands.held] if commands else []
    assert sent == ([("alert-1", "alert-erasure")] * 2 if commands else [])


async def test_an_alert_erasure_not_applied_in_time_is_answered_202_and_applied_once_later(
    client: AsyncTestClient[Litestar], alerts: InMemoryAlertContacts, commands: Loopback | None
) -> None:
    if commands is None:
        return  # in place there is nothing to wait for (the other run asks the owner)
    commands.hold = True
    link = path_of(AlertLinks("https://melder.example").erasure(ALERT_TOKEN, "de"))

    api = await client.post(link, headers={"accept": "application/json"})
    page = await client.post(link, headers={"accept": "text/html"})

    assert (api.status_code, page.status_code) == (202, 202)
    assert api.json()["code"] == "accepted"
    assert api.json()["follow"] == api.headers["location"] == link.split("?")[0]
    assert "<html" in page.text
    assert alerts.erased == {}
    for command in commands.held:  # delivered late, and the first one twice
        await commands.deliver(command)
    await commands.deliver(commands.held[0])
    assert list(alerts.erased) == ["alert-1"]


async def test_an_unknown_alert_token_is_refused_in_the_error_shape(
    client: AsyncTestClient[Litestar],
) -> None:
    answer = await client.post(
        "/api/v1/erasure/alert/made-up", headers={"accept": "application/json"}
    )

    assert answer.status_code == 404
    assert answer.json()["code"] == "alert_link_invalid"


@pytest.mark.parametrize("language", ["en", "tr"])
async def test_the_erasure_pages_speak_the_language_of_the_mail_they_came_in(
    client: AsyncTestClient[Litestar], service: ReportService, language: str
) -> None:
    new = await submitted(service)
    links = (
        MAIL_LINKS.erasure(new.report.id, str(CANARY.email), language),
        AlertLinks("https://melder.example").erasure(ALERT_TOKEN, language),
    )

    for link in links:
        page = await client.get(
            path_of(link), headers={"accept": "text/html", "accept-language": "de"}
        )
        assert page.status_code == 200
        assert f'<html lang="{language}"' in page.text
