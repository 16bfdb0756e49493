"""The reporter's data access over in-memory stores: what is held, which messages were theirs,
every staff read with department and time, the JSON answer, the tracking page and /privacy."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_notify.delivery.domain import delivery_key
from stadtmelder_reports.app import build_app
from stadtmelder_reports.commands.domain import Moderation
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import TrackingTokenUnknown
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.moderation.service import ModerationService
from stadtmelder_reports.privacy.api import DATA_ANSWERS_PER_MINUTE
from stadtmelder_reports.privacy.domain import (
    mail_id_for,
    masked_email,
    masked_name,
    masked_phone,
)
from stadtmelder_reports.privacy.service import PrivacyService
from stadtmelder_reports.retention.domain import Periods
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_shared.citizen_events import CitizenNotified
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.event_values import Location, Reporter
from stadtmelder_shared.report_events import ReportRouted
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository, InMemoryStaffRoster

DUISBURG = load_jurisdiction()
DIRECTORY = load_directory()
LIGHTS = "stadt-licht"
EMAIL = "Anna.Beispiel@example.org"
REPORTER = Reporter(email=EMAIL, name="Anna Beispiel", phone="0203 123456")
RETENTION = Periods.of_days(90, 365, 730)
CLERK = StaffMember("clerk-licht-7", frozenset({"clerk"}), LIGHTS)
READ_AT = datetime(2026, 12, 1, 10, 30, tzinfo=UTC)
DISPATCHER = StaffMember("dispatcher-zentrale-2", frozenset({"dispatcher"}), LIGHTS)
MODERATED_AT = datetime(2026, 12, 2, 9, 15, tzinfo=UTC)


@dataclass
class Held:
    reports: InMemoryReportRepository
    service: ReportService
    work: WorkService
    privacy: PrivacyService
    report_id: str
    token: str


def notified(cause: str, report_id: str, address: str, channel: str, step: str) -> CitizenNotified:
    """A CitizenNotified as notify builds it (`delivery.service.Delivery._notified`)."""
    key = delivery_key(cause, address, channel)
    return CitizenNotified(
        event_id=derived_event_id(cause, f"notified:{key}"),
        report_id=report_id,
        jurisdiction="duisburg",
        channel=channel,
        notification=step,
        caused_by=cause,
    )


@pytest.fixture
async def held() -> Held:
    reports = InMemoryReportRepository()
    service = ReportService(reports, DUISBURG, directory=DIRECTORY, data_keys=InMemoryDataKeys())
    audit = InMemoryAuditLog()
    work = WorkService(
        reports, audit, InMemoryStaffRoster(), DIRECTORY, "duisburg", clock=lambda: READ_AT
    )
    new = await service.submit_report(
        Submission(
            category="street_light_out",
            description="Laterne dunkel",
            location=Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1]),
            answers=valid_answers(DUISBURG.category("street_light_out")),
            contact=REPORTER,
        )
    )
    report = new.report
    routed = ReportRouted(
        report_id=report.id,
        jurisdiction="duisburg",
        department=DIRECTORY.get(LIGHTS).ref(),  # type: ignore[union-attr]
        category=report.category,
        rule="test",
        caused_by=report.history[0].event_id,
    )
    await service.record_routing(routed)
    privacy = PrivacyService(reports, audit, DIRECTORY, RETENTION)
    return Held(reports, service, work, privacy, report.id, new.tracking_token)


async def test_the_mail_id_is_the_one_notify_announces_its_mail_with() -> None:
    cause = "5f0c3b1e-0000-4000-8000-000000000001"

    announced = notified(cause, "R", "Anna@Example.org", "email", "submitted")

    assert mail_id_for(cause, "anna@example.org") == announced.event_id


async def test_the_answer_lists_contact_the_reporters_messages_and_each_staff_read(
    held: Held,
) -> None:
    report = await held.service.public_report(held.report_id)
    submitted, routed = (change.event_id for change in report.history)
    for notice in (
        notified(submitted, held.report_id, EMAIL, "email", "submitted"),
        notified(routed, held.report_id, EMAIL, "email", "routed"),
        notified(routed, held.report_id, "supporter@example.org", "email", "routed"),
        notified(routed, held.report_id, "https://push.example/abc", "web_push", "routed"),
    ):
        await held.service.record_notice(notice)
    await held.work.contact(CLERK, held.report_id)
    await held.work.contact(CLERK, held.report_id)

    data = await held.privacy.data_held(held.token)

    assert data.contact == REPORTER
    assert [(m.channel, m.step) for m in data.messages] == [
        ("email", "submitted"),
        ("email", "routed"),
        ("web_push", "routed"),
    ]
    assert [(r.department_id, r.department_name, r.role, r.at) for r in data.staff_reads] == [
        (LIGHTS, DIRECTORY.get(LIGHTS).name(), "clerk", READ_AT),  # type: ignore[union-attr]
    ] * 2
    assert data.staff_reads[0].fields == ("email", "name", "phone")
    assert data.retention == RETENTION


async def test_without_an_address_left_no_mail_counts_as_the_reporters(held: Held) -> None:
    report = await held.service.public_report(held.report_id)
    await held.service.record_notice(
        notified(report.history[0].event_id, held.report_id, EMAIL, "email", "submitted")
    )
    held.reports.reports[held.report_id].reporter = None  # as erasure leaves it

    data = await held.privacy.data_held(held.token)

    assert (data.contact, data.messages) == (None, ())


async def test_an_unknown_token_finds_nothing(held: Held) -> None:
    with pytest.raises(TrackingTokenUnknown):
        await held.privacy.data_held("not-a-token")


def test_a_page_shows_contact_data_enough_to_recognise_not_to_copy() -> None:
    assert masked_email("anna@example.org") == "an\u2022\u2022\u2022@example.org"
    assert masked_name("Anna Beispiel") == "A\u2022\u2022\u2022 B\u2022\u2022\u2022"
    assert masked_phone("0203 123456") == "\u2022\u2022\u202256"


@pytest.fixture
async def client(held: Held) -> AsyncIterator[AsyncTestClient[Litestar]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = held.service
        app.state.work = held.work
        app.state.privacy = held.privacy
        yield

    app = build_app(lifespan, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(5))
    async with AsyncTestClient(app) as client:
        yield client


async def test_the_data_answer_names_department_role_and_time_but_no_staff_id(
    held: Held, client: AsyncTestClient[Litestar]
) -> None:
    await held.work.contact(CLERK, held.report_id)
    await held.work.claim(CLERK, held.report_id)

    response = await client.get(f"/api/v1/track/{held.token}/data?lang=en")

    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["contact"] == {
        "email": EMAIL,
        "name": "Anna Beispiel",
        "phone": "0203 123456",
        "language": "de",
    }
    assert answer["report"]["id"] == held.report_id
    assert answer["report"]["status"] == "routed"
    [read] = answer["staff_reads"]
    assert (read["department_id"], read["role"]) == (LIGHTS, "clerk")
    assert datetime.fromisoformat(read["at"]) == READ_AT
    assert answer["retention"] == {"contact_days": 90, "photo_days": 365, "audit_days": 730}
    assert CLERK.user_id not in response.text


async def test_the_data_answer_lists_each_moderation_step_with_reason_and_date(
    held: Held, client: AsyncTestClient[Litestar]
) -> None:
    moderation = ModerationService(held.reports, InMemoryAuditLog(), clock=lambda: MODERATED_AT)
    await moderation.moderate(
        DISPATCHER, held.report_id, Moderation(action="hidden", reason="Names a neighbour")
    )
    await moderation.moderate(
        DISPATCHER,
        held.report_id,
        Moderation(action="redacted", reason="Personal data", text="Laterne aus"),
    )

    response = await client.get(f"/api/v1/track/{held.token}/data?lang=en")

    assert response.status_code == 200, response.text
    hidden, redacted = response.json()["moderation"]
    assert (hidden["action"], hidden["reason"]) == ("hidden", "Names a neighbour")
    assert (redacted["action"], redacted["public_description"]) == ("redacted", "Laterne aus")
    assert datetime.fromisoformat(hidden["at"]) == MODERATED_AT
    assert (hidden["role"], hidden["department_id"]) == ("dispatcher", LIGHTS)
    assert DISPATCHER.user_id not in response.text


async def test_an_unknown_token_is_a_404_saying_so(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/v1/track/made-up-token/data")

    assert response.status_code == 404
    assert response.json()["code"] == "tracking_token_unknown"
    assert "copied completely" in response.json()["detail"]


async def test_asking_too_often_is_refused_with_the_time_to_wait(
    client: AsyncTestClient[Litestar],
) -> None:
    answers = [
        await client.get("/api/v1/track/made-up-token/data")
        for _ in range(DATA_ANSWERS_PER_MINUTE + 1)
    ]

    assert [a.status_code for a in answers] == [404] * DATA_ANSWERS_PER_MINUTE + [429]
    # The sentence fits what was asked: this person sent no report.
    assert answers[-1].json()["detail"].startswith("Too many requests from this client")


async def test_the_tracking_page_shows_the_reads_and_the_contact_data_masked(
    held: Held, client: AsyncTestClient[Litestar]
) -> None:
    await held.work.contact(CLERK, held.report_id)

    page = await client.get(f"/track/{held.token}?lang=en")

    assert page.status_code == 200
    assert "Your data with us" in page.text
    assert "An\u2022\u2022\u2022@example.org" in page.text
    assert EMAIL not in page.text
    assert DIRECTORY.get(LIGHTS).name() in page.text  # type: ignore[union-attr]
    assert "case worker" in page.text
    assert "Nobody has looked" not in page.text


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("de", "Ihre Kontaktdaten (E-Mail, Name, Telefon): 90 Tage"),
        ("en", "Photos: 365 days after the report is closed"),
        ("tr", "kimin baktığının listesi: 730 gün"),
    ],
)
async def test_the_privacy_page_states_the_configured_periods(
    client: AsyncTestClient[Litestar], language: str, said: str
) -> None:
    response = await client.get(f"/privacy?lang={language}")

    assert response.status_code == 200
    assert said in response.text


async def test_every_page_links_to_the_privacy_page(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/reports")

    assert '<a href="/privacy">Ihre Daten</a>' in response.text


async def test_after_erasure_the_page_says_the_contact_data_is_gone(
    held: Held, client: AsyncTestClient[Litestar]
) -> None:
    report = held.reports.reports[held.report_id]
    report.reporter, report.contact_erased_at = None, READ_AT

    page = await client.get(f"/track/{held.token}?lang=en")
    answer = (await client.get(f"/api/v1/track/{held.token}/data")).json()

    assert "None any more: erased at your request or when their retention period" in page.text
    assert "You gave us no contact details" not in page.text
    assert answer["contact"] is None
    assert datetime.fromisoformat(answer["report"]["contact_erased_at"]) == READ_AT
