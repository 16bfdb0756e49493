"""Erasure on request in reports: the API, the tracking page's form, the event and staff's view."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import NewReport, Submission
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.erasure.service import ErasureService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.privacy.service import PrivacyService
from stadtmelder_reports.retention.domain import Periods
from stadtmelder_reports.staff.schemas import staff_view
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import ContactDataErased
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_values import Location, Reporter
from tests.command_fakes import Loopback
from tests.data_key_fakes import InMemoryDataKeys
from tests.erasure_fakes import DestroyedKeys, InMemoryContactStore
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository, recipient_key

DUISBURG = load_jurisdiction()
CANARY = Reporter(email="canary-erasure@example.org", name="Kanarie Vogel", phone="+49 203 99999")
ERASED_AT = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)


@pytest.fixture
def repository() -> InMemoryReportRepository:
    return InMemoryReportRepository()


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
    keys: DestroyedKeys,
) -> AsyncIterator[AsyncTestClient[Litestar]]:
    erasure = ErasureService(
        repository,
        InMemoryContactStore(repository),
        keys.destroy,
        clock=lambda: ERASED_AT,
        commands=commands.asker if commands else None,
    )
    if commands is not None:
        commands.owner.applies("erasure", erasure.apply_command)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.erasure = erasure
        app.state.privacy = PrivacyService(
            repository, InMemoryAuditLog(), load_directory(), Periods.of_days(90, 365, 730)
        )
        yield

    app = build_app(lifespan, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(20))
    async with AsyncTestClient(app) as client:
        yield client


async def submitted(service: ReportService) -> NewReport:
    return await service.submit_report(
        Submission(
            category="road_damage",
            description="Schlagloch vor Hausnummer 40",
            location=Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1]),
            answers=valid_answers(DUISBURG.category("road_damage")),
            contact=CANARY,
        )
    )


def erasures(repository: InMemoryReportRepository, report_id: str) -> list[ContactDataErased]:
    return [
        event
        for topic, event in repository.reports[report_id].pending_events
        if topic == topics.CONTACT_DATA_ERASED and isinstance(event, ContactDataErased)
    ]


async def test_deleting_contact_erases_it_announces_it_and_destroys_the_data_key(
    client: AsyncTestClient[Litestar],
    service: ReportService,
    repository: InMemoryReportRepository,
    keys: DestroyedKeys,
) -> None:
    new = await submitted(service)

    response = await client.delete(f"/api/v1/track/{new.tracking_token}/contact")

    assert response.status_code == 200
    assert response.json() == {"contact_erased_at": "2026-12-07T09:30:00Z"}
    report = repository.reports[new.report.id]
    assert report.reporter is None
    assert report.contact_erased_at == ERASED_AT
    assert keys.destroyed == [new.report.id]
    [event] = erasures(repository, new.report.id)
    assert event.subject == "reporter"
    assert event.recipient_key == recipient_key(new.report.id, CANARY.email or "")
    # Nothing waiting in the outbox names the reporter any more, the erasure least of all.
    waiting = " ".join(e.model_dump_json() for _, e in report.pending_events)
    assert str(CANARY.email) not in waiting
    assert str(CANARY.name) not in waiting
    assert new.tracking_token not in waiting


async def test_erasing_twice_answers_the_first_date_and_announces_once(
    client: AsyncTestClient[Litestar], service: ReportService, repository: InMemoryReportRepository
) -> None:
    new = await submitted(service)

    first = await client.delete(f"/api/v1/track/{new.tracking_token}/contact")
    second = await client.delete(f"/api/v1/track/{new.tracking_token}/contact")

    assert second.status_code == 200
    assert second.json() == first.json()
    assert len(erasures(repository, new.report.id)) == 1


async def test_an_unknown_tracking_token_is_answered_404_in_the_error_shape(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.delete("/api/v1/track/made-up-token/contact")

    assert response.status_code == 404
    assert response.json()["code"] == "tracking_token_unknown"


async def test_the_public_report_stays_after_erasure(
    client: AsyncTestClient[Litestar], service: ReportService
) -> None:
    new = await submitted(service)
    await client.delete(f"/api/v1/track/{new.tracking_token}/contact")

    public = await client.get(f"/api/v1/reports/{new.report.id}")

    assert public.status_code == 200
    assert public.json()["description"] == "Schlagloch vor Hausnummer 40"


async def test_the_tracking_page_erases_after_a_confirmation_without_javascript(
    client: AsyncTestClient[Litestar], service: ReportService, repository: InMemoryReportRepository
) -> None:
    new = await submitted(service)
    token = new.tracking_token

    status = await client.get(f"/track/{token}")
    assert f'href="/track/{token}/contact/erase"' in status.text
    confirmation = await client.get(f"/track/{token}/contact/erase")
    assert confirmation.status_code == 200
    assert f'<form method="post" action="/track/{token}/contact/erase">' in confirmation.text
    assert repository.reports[new.report.id].reporter is not None  # asking erased nothing

    erased = await client.post(f"/track/{token}/contact/erase", follow_redirects=False)

    assert erased.status_code == 303
    assert repository.reports[new.report.id].reporter is None
    after = await client.get(erased.headers["location"])
    assert "Ihre Kontaktdaten wurden am 07.12.2026, 10:30 gelöscht." in after.text


async def test_staff_see_the_erasure_date_instead_of_contact_data(
    service: ReportService, repository: InMemoryReportRepository, keys: DestroyedKeys
) -> None:
    new = await submitted(service)
    erasure = ErasureService(repository, InMemoryContactStore(repository), keys.destroy)
    erased_at = await erasure.erase_reporter(new.tracking_token)

    view = staff_view(repository.reports[new.report.id], ERASED_AT, "de", "")

    assert view.has_contact is False
    assert view.contact_erased_at == erased_at
