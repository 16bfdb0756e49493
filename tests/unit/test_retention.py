"""Retention: what is due when (pure rules), and the round with a fake clock over the fakes."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.domain import OPEN_STATUSES, Report, StatusChange
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.erasure.service import ErasureService
from stadtmelder_reports.errors import PhotoNotFound
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.retention.domain import (
    CLOSED_STATUSES,
    Periods,
    closed_at,
    contact_due,
    photos_due,
)
from stadtmelder_reports.retention.service import Erased, RetentionService
from stadtmelder_reports.staff.repository import AuditEntry
from stadtmelder_reports.staff.workflow import TARGET_STATUSES
from stadtmelder_shared.citizen_events import ContactDataErased
from stadtmelder_shared.event_values import Actor
from tests.command_fakes import Loopback
from tests.data_key_fakes import InMemoryDataKeys
from tests.erasure_fakes import DestroyedKeys
from tests.fakes import InMemoryAuditLog, recipient_key
from tests.retention_fakes import (
    DUISBURG,
    ROADS,
    InMemoryRetentionStore,
    SupportedReports,
    SupporterContactStore,
    a_closed_report,
    support,
)

CLOSED = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
PERIODS = Periods.of_days(contact=90, photos=365, audit=730)
CLERK = Actor(role="clerk", user_id="anna", department_id=ROADS.id)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def reports() -> SupportedReports:
    return SupportedReports()


@pytest.fixture
def audit() -> InMemoryAuditLog:
    return InMemoryAuditLog()


@pytest.fixture
def keys() -> DestroyedKeys:
    return DestroyedKeys()


@pytest.fixture
def clock() -> Clock:
    return Clock(CLOSED)


@pytest.fixture
def counted() -> dict[str, int]:
    return {}


@pytest.fixture(params=["in place", "as commands"])
def commands(request: pytest.FixtureRequest) -> Loopback | None:
    """The round's writes applied here, or sent to each report's owner (in memory)."""
    return Loopback(wait_seconds=5.0) if request.param == "as commands" else None


@pytest.fixture
def retention(
    reports: SupportedReports,
    audit: InMemoryAuditLog,
    keys: DestroyedKeys,
    clock: Clock,
    counted: dict[str, int],
    commands: Loopback | None,
) -> RetentionService:
    def count(what: str, n: int) -> None:
        counted[what] = counted.get(what, 0) + n

    asker = commands.asker if commands else None
    contacts = SupporterContactStore(reports)
    erasure = ErasureService(reports, contacts, keys.destroy, clock=clock, commands=asker)
    store = InMemoryRetentionStore(reports, audit)
    retention = RetentionService(
        reports, store, erasure, PERIODS, clock, count, batch=2, commands=asker
    )
    if commands is not None:
        commands.owner.applies("erasure", erasure.apply_command)
        commands.owner.applies("photo-removal", retention.apply_command)
    return retention


def kinds_sent(commands: Loopback | None) -> list[str]:
    """What the round asked reports' owners to do (nothing in place)."""
    return [command.action.kind for command in commands.held] if commands else []


def erasures(reports: SupportedReports, report_id: str) -> list[ContactDataErased]:
    return [
        e for _, e in reports.reports[report_id].pending_events if isinstance(e, ContactDataErased)
    ]


async def erased_round(
    reports: SupportedReports, retention: RetentionService, clock: Clock, days: int
) -> Report:
    """A report closed at CLOSED, after a round `days` later."""
    report = await a_closed_report(reports, CLOSED)
    clock.now = CLOSED + timedelta(days=days)
    await retention.run_round()
    return report


def a_contact_read(entry_id: str, at: datetime, action: str = "contact_read") -> AuditEntry:
    return AuditEntry(entry_id, at, "R1", CLERK, action)  # type: ignore[arg-type]


# --- the rules ----------------------------------------------------------------------------------


def test_every_status_a_report_can_take_is_either_open_or_closed() -> None:
    taken = (set(TARGET_STATUSES) - {"forwarded"}) | {"submitted", "triage", "routed"}
    assert taken <= OPEN_STATUSES | CLOSED_STATUSES
    assert not OPEN_STATUSES & CLOSED_STATUSES


@pytest.mark.parametrize("status", ["resolved", "rejected", "duplicate"])
async def test_a_report_counts_as_closed_from_its_final_step(
    reports: SupportedReports, status: str
) -> None:
    report = await a_closed_report(reports, CLOSED, status)
    assert closed_at(report) == CLOSED


async def test_a_reopened_report_is_not_closed(reports: SupportedReports) -> None:
    report = await a_closed_report(reports, CLOSED)
    reopened = replace(
        report,
        status="reopened",
        history=[*report.history, StatusChange("reopened", CLOSED + timedelta(days=1), "e")],
    )
    assert closed_at(reopened) is None
    assert not contact_due(reopened, True, PERIODS, CLOSED + timedelta(days=400))


async def test_contact_data_is_due_exactly_when_its_period_has_passed(
    reports: SupportedReports,
) -> None:
    report = await a_closed_report(reports, CLOSED)
    ninety_days = CLOSED + timedelta(days=90)
    assert not contact_due(report, False, PERIODS, ninety_days - timedelta(seconds=1))
    assert contact_due(report, False, PERIODS, ninety_days)


async def test_a_report_without_contact_data_has_none_due(reports: SupportedReports) -> None:
    anonymous = await a_closed_report(reports, CLOSED, contact=None)
    later = CLOSED + timedelta(days=400)
    assert not contact_due(anonymous, False, PERIODS, later)
    assert contact_due(anonymous, True, PERIODS, later)  # a supporter left an address


async def test_photos_are_due_a_year_after_closing(reports: SupportedReports) -> None:
    report = await a_closed_report(reports, CLOSED)
    year = CLOSED + timedelta(days=365)
    assert not photos_due(report, PERIODS, year - timedelta(minutes=1))
    assert photos_due(report, PERIODS, year)
    assert not photos_due(replace(report, photos=[]), PERIODS, year)


# --- the round ----------------------------------------------------------------------------------


async def test_contact_data_stays_until_its_period_ends(
    reports: SupportedReports, retention: RetentionService, clock: Clock
) -> None:
    report = await a_closed_report(reports, CLOSED)
    clock.now = CLOSED + timedelta(days=89, hours=23)

    assert await retention.run_round() == Erased()
    assert (await reports.get(report.id)).reporter is not None


async def test_after_its_period_reporter_and_supporters_are_erased_as_on_request(
    reports: SupportedReports,
    retention: RetentionService,
    keys: DestroyedKeys,
    clock: Clock,
    counted: dict[str, int],
    commands: Loopback | None,
) -> None:
    report = await a_closed_report(reports, CLOSED)
    await support(reports, report, "nachbar@example.org")
    clock.now = CLOSED + timedelta(days=90)

    erased = await retention.run_round()

    kept = await reports.get(report.id)
    assert erased.contact == 2
    assert counted["contact"] == 2
    assert kept.reporter is None
    assert kept.contact_erased_at == clock.now
    assert reports.supporters[report.id] == []
    supporter = recipient_key(report.id, "nachbar@example.org")
    assert sorted(keys.destroyed) == sorted([report.id, f"support:{report.id}:{supporter}"])
    announced = {(e.subject, e.recipient_key) for e in erasures(reports, report.id)}
    assert announced == {
        ("reporter", recipient_key(report.id, "melderin@example.org")),
        ("supporter", supporter),
    }
    assert kept.description == "Schlagloch vor Hausnummer 40"
    assert kinds_sent(commands) == (["erasure", "erasure"] if commands else [])


async def test_a_second_round_changes_nothing(
    reports: SupportedReports, retention: RetentionService, clock: Clock
) -> None:
    report = await erased_round(reports, retention, clock, days=800)
    revision = reports.reports[report.id].revision

    assert await retention.run_round() == Erased()
    assert reports.reports[report.id].revision == revision
    assert len(erasures(reports, report.id)) == 1


async def test_rejected_and_duplicate_reports_lose_contact_data_too(
    reports: SupportedReports, retention: RetentionService, clock: Clock
) -> None:
    rejected = await a_closed_report(reports, CLOSED, "rejected")
    duplicate = await a_closed_report(reports, CLOSED, "duplicate")
    clock.now = CLOSED + timedelta(days=90)

    await retention.run_round()

    assert (await reports.get(rejected.id)).reporter is None
    assert (await reports.get(duplicate.id)).reporter is None


async def test_a_reopened_report_keeps_everything(
    reports: SupportedReports, retention: RetentionService, clock: Clock
) -> None:
    report = await a_closed_report(reports, CLOSED)
    reopening = StatusChange("reopened", CLOSED + timedelta(days=30), "reopen-1", department=ROADS)
    await reports.record_status(report.id, reopening)
    clock.now = CLOSED + timedelta(days=800)

    assert await retention.run_round() == Erased()
    kept = await reports.get(report.id)
    assert kept.reporter is not None
    assert len(kept.photos) == 1


async def test_open_reports_keep_everything(
    reports: SupportedReports, retention: RetentionService, clock: Clock
) -> None:
    report = await a_closed_report(reports, CLOSED)
    reports.reports[report.id].status = "in_progress"
    clock.now = CLOSED + timedelta(days=800)

    assert await retention.run_round() == Erased()


async def test_many_due_reports_are_all_erased_page_by_page(
    reports: SupportedReports, retention: RetentionService, clock: Clock
) -> None:
    closed = [await a_closed_report(reports, CLOSED) for _ in range(5)]
    clock.now = CLOSED + timedelta(days=90)

    assert (await retention.run_round()).contact == 5  # pages of two
    assert [(await reports.get(r.id)).reporter for r in closed] == [None] * len(closed)


async def test_a_round_cut_short_is_finished_by_the_next(
    reports: SupportedReports, retention: RetentionService, clock: Clock
) -> None:
    closed = [await a_closed_report(reports, CLOSED) for _ in range(3)]
    clock.now = CLOSED + timedelta(days=90)
    failing = FailingAfter(retention.erasure, erasures_before_failing=1)

    with pytest.raises(ConnectionError):
        await replace(retention, erasure=failing).run_round()  # type: ignore[arg-type]
    assert [(await reports.get(r.id)).reporter is None for r in closed].count(True) == 1

    assert (await retention.run_round()).contact == 2
    assert [(await reports.get(r.id)).reporter for r in closed] == [None] * len(closed)


async def test_photos_go_a_year_after_closing_and_the_text_stays(
    reports: SupportedReports,
    retention: RetentionService,
    clock: Clock,
    counted: dict[str, int],
    commands: Loopback | None,
) -> None:
    report = await a_closed_report(reports, CLOSED, photos=2)
    clock.now = CLOSED + timedelta(days=365)

    assert (await retention.run_round()).photos == 2

    service = ReportService(reports, DUISBURG, data_keys=InMemoryDataKeys())
    shown = await service.public_report(report.id)
    assert shown.photos == []
    assert shown.description == "Schlagloch vor Hausnummer 40"
    for thumbnail in (False, True):
        with pytest.raises(PhotoNotFound):
            await reports.photo(report.id, 1, thumbnail)
    assert counted["photos"] == 2
    if commands is not None:  # removed by the report's owner
        assert "photo-removal" in kinds_sent(commands)
    assert (await retention.run_round()).photos == 0


async def test_staff_reads_of_contact_data_are_forgotten_after_their_period(
    retention: RetentionService, audit: InMemoryAuditLog, clock: Clock, counted: dict[str, int]
) -> None:
    clock.now = CLOSED + timedelta(days=1000)
    limit = clock.now - timedelta(days=730)
    for n in range(5):  # more than one page
        await audit.record(a_contact_read(f"old-{n}", limit - timedelta(seconds=1)))
    await audit.record(a_contact_read("recent", limit))
    await audit.record(a_contact_read("work", limit - timedelta(days=9), "transition"))

    assert (await retention.run_round()).audit == 5

    assert sorted(audit.entries) == ["recent", "work"]
    assert counted["audit"] == 5


async def test_a_deleted_photo_answers_404_in_the_error_shape_and_the_report_shows_none(
    reports: SupportedReports, retention: RetentionService, clock: Clock
) -> None:
    report = await erased_round(reports, retention, clock, days=365)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = ReportService(reports, DUISBURG, data_keys=InMemoryDataKeys())
        yield

    app = build_app(lifespan, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(5))
    async with AsyncTestClient(app) as client:
        shown = await client.get(f"/api/v1/reports/{report.id}")
        photo = await client.get(f"/api/v1/reports/{report.id}/photos/1")
        thumbnail = await client.get(f"/api/v1/reports/{report.id}/photos/1/thumbnail")

    assert shown.status_code == 200
    assert shown.json()["photos"] == []
    assert shown.json()["description"] == "Schlagloch vor Hausnummer 40"
    for answer in (photo, thumbnail):
        assert answer.status_code == 404
        assert answer.json()["code"] == "photo_not_found"


class FailingAfter:
    """An erasure whose server goes away after `erasures_before_failing` reporters."""

    def __init__(self, erasure: ErasureService, erasures_before_failing: int) -> None:
        self._erasure = erasure
        self._left = erasures_before_failing

    async def erase_by_link(self, *args: object) -> bool:
        raise AssertionError("no supporters here")

    async def erase_reporter_by_owner(self, report: Report) -> bool:
        if self._left == 0:
            raise ConnectionError("database away")
        self._left -= 1
        return await self._erasure.erase_reporter_by_owner(report)
