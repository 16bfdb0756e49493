"""The staff side's stores, the same contract for the MongoDB adapters and the in-memory fakes."""

import asyncio
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import (
    Comment,
    StatusChange,
    Submission,
    WorkStep,
    supported,
)
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.core.report_queries import QueueQuery
from stadtmelder_reports.core.submission import submit
from stadtmelder_reports.errors import ReportNotFound
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.staff.repository import (
    AuditEntry,
    MongoAuditLog,
    MongoStaffRoster,
)
from stadtmelder_shared import topics
from stadtmelder_shared.event_values import Actor, DepartmentRef, Location, Reporter
from stadtmelder_shared.report_events import ReportStatusChanged
from stadtmelder_shared.sealing import new_data_key
from tests.examples import valid_answers
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository, InMemoryStaffRoster

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DUISBURG = load_jurisdiction()
ROADS = DepartmentRef(id="wbd-strasse", name="Straßen und Gehwege")
GREEN = DepartmentRef(id="wbd-gruen", name="Grünflächen")
CLERK = Actor(role="clerk", user_id="anna", department_id=ROADS.id)


@pytest.fixture
async def reports(database: Any) -> Any:
    if database is None:
        return InMemoryReportRepository()
    repository = MongoReportRepository(database)
    await repository.ensure_indexes()
    return repository


@pytest.fixture
async def audit(database: Any) -> Any:
    if database is None:
        return InMemoryAuditLog()
    log = MongoAuditLog(database)
    await log.ensure_indexes()
    return log


@pytest.fixture
def roster(database: Any) -> Any:
    return InMemoryStaffRoster() if database is None else MongoStaffRoster(database)


async def a_routed_report(
    reports: Any,
    department: DepartmentRef = ROADS,
    due_at: datetime | None = NOW,
    category: str = "road_damage",
    jurisdiction: str = "duisburg",
) -> Any:
    submission = Submission(
        category,
        "Schlagloch",
        Location(lat=51.43, lon=6.76),
        answers=valid_answers(DUISBURG.category(category)),
        contact=Reporter(email="anna@example.org"),
    )
    report_id = f"R{uuid.uuid4().hex[:9].upper()}"
    report = submit(
        submission, DUISBURG, (), NOW, report_id, "token-" + report_id, new_data_key()
    ).report
    report.jurisdiction = jurisdiction
    await reports.add(report)
    routed = StatusChange("routed", NOW, str(uuid.uuid4()), department=department)
    await reports.record_status(report.id, routed, due_at=due_at)
    return await reports.get(report.id)


def acknowledged(report: Any, at: datetime = NOW) -> WorkStep:
    change = StatusChange(
        "acknowledged",
        at,
        str(uuid.uuid4()),
        department=report.department,
        public_comment="Wir schauen es uns an.",
        reason="Kolonne 3",
        actor=CLERK,
    )
    event = ReportStatusChanged(
        event_id=change.event_id,
        report_id=report.id,
        jurisdiction=report.jurisdiction,
        status="acknowledged",
        previous_status=report.status,
        department=report.department,
        actor=CLERK,
    )
    note = Comment(str(uuid.uuid4()), "internal", "Kolonne 3 fragen", at, CLERK)
    return replace(
        WorkStep.keeping(report),
        status="acknowledged",
        assignee="anna",
        changes=(change,),
        comments=(note,),
        events=((topics.REPORTS_STATUS_CHANGED, event),),
    )


# --- work on reports ----------------------------------------------------------------------------


async def test_a_work_step_is_stored_whole_with_its_event(reports: Any) -> None:
    report = await a_routed_report(reports)
    step = acknowledged(report, NOW + timedelta(minutes=5))

    assert await reports.record_work(report.id, report.revision, step) is True

    loaded = await reports.get(report.id)
    assert (loaded.status, loaded.assignee, loaded.due_at) == ("acknowledged", "anna", NOW)
    assert loaded.history[-1] == step.changes[0]
    assert loaded.history[1].department == ROADS
    assert loaded.comments == list(step.comments)
    assert loaded.updated_at == NOW + timedelta(minutes=5)
    pending = [
        event for topic, event in loaded.pending_events if topic == topics.REPORTS_STATUS_CHANGED
    ]
    assert pending == [step.events[0][1]]
    assert loaded.revision > report.revision


async def test_a_step_decided_on_an_old_revision_is_refused_and_changes_nothing(
    reports: Any,
) -> None:
    report = await a_routed_report(reports)
    assert await reports.record_work(report.id, report.revision, acknowledged(report)) is True

    stale = replace(acknowledged(report), status="rejected")
    assert await reports.record_work(report.id, report.revision, stale) is False

    loaded = await reports.get(report.id)
    assert loaded.status == "acknowledged"
    assert len(loaded.history) == 3
    assert len([t for t, _ in loaded.pending_events if t == topics.REPORTS_STATUS_CHANGED]) == 1
    with pytest.raises(ReportNotFound):
        await reports.record_work("NOPE0-00000", 1, stale)


async def test_publishing_the_outbox_makes_a_later_step_decide_anew(reports: Any) -> None:
    report = await a_routed_report(reports)
    await reports.mark_published(report.id, [e.event_id for _, e in report.pending_events])

    assert await reports.record_work(report.id, report.revision, acknowledged(report)) is False


async def test_a_step_without_changes_keeps_state_and_history(reports: Any) -> None:
    report = await a_routed_report(reports)
    step = replace(WorkStep.keeping(report), assignee="ben")

    assert await reports.record_work(report.id, report.revision, step) is True
    loaded = await reports.get(report.id)
    assert (loaded.status, loaded.department, loaded.assignee) == ("routed", ROADS, "ben")
    assert len(loaded.history) == len(report.history)


async def test_writers_of_one_report_at_the_same_moment_lose_nothing(reports: Any) -> None:
    report = await a_routed_report(reports)
    initial = [event.event_id for _, event in report.pending_events]

    async def add_note(number: int) -> None:
        while True:  # as the service does: decide on what was read, retry if it changed
            current = await reports.get(report.id)
            note = Comment(f"n{number}", "internal", f"Notiz {number}", NOW, CLERK)
            step = replace(WorkStep.keeping(current), comments=(note,))
            if await reports.record_work(report.id, current.revision, step):
                return

    await asyncio.gather(
        *(
            reports.add_supporter(report.id, f"k{n}", None, supported(report, None, NOW))
            for n in range(12)
        ),
        *(add_note(n) for n in range(6)),
        reports.mark_published(report.id, initial),
    )

    loaded = await reports.get(report.id)
    assert loaded.supporter_count == 12
    assert sorted(c.id for c in loaded.comments) == sorted(f"n{n}" for n in range(6))
    assert [type(e).__name__ for _, e in loaded.pending_events] == ["ReportSupported"] * 12


# --- queues -------------------------------------------------------------------------------------


async def test_the_queue_is_one_departments_work_by_due_date_with_filters_and_cursor(
    reports: Any,
) -> None:
    jurisdiction = f"j-{uuid.uuid4().hex[:6]}"
    late = await a_routed_report(
        reports, due_at=NOW - timedelta(hours=5), jurisdiction=jurisdiction
    )
    later = await a_routed_report(
        reports, due_at=NOW + timedelta(hours=5), jurisdiction=jurisdiction
    )
    undated = await a_routed_report(reports, due_at=None, jurisdiction=jurisdiction)
    sidewalk = await a_routed_report(
        reports, due_at=NOW, category="pavement_damage", jurisdiction=jurisdiction
    )
    await a_routed_report(reports, department=GREEN, jurisdiction=jurisdiction)
    await reports.record_work(later.id, later.revision, acknowledged(later))

    def query(**changes: Any) -> QueueQuery:
        base = QueueQuery(
            jurisdiction=jurisdiction,
            department_id=ROADS.id,
            statuses=("routed", "acknowledged", "in_progress"),
        )
        return replace(base, **changes)

    async def ids(**changes: Any) -> list[str]:
        return [r.id for r in await reports.queue(query(**changes))]

    assert await ids() == [late.id, sidewalk.id, later.id, undated.id]
    assert await ids(due_before=NOW) == [late.id]
    assert await ids(statuses=("acknowledged",)) == [later.id]
    assert await ids(categories=("pavement_damage",)) == [sidewalk.id]
    assert await ids(assignee="anna") == [later.id]
    assert await ids(unassigned=True) == [late.id, sidewalk.id, undated.id]

    first = await reports.queue(query(limit=2))
    assert [r.id for r in first] == [late.id, sidewalk.id]
    last = first[-1]
    assert await ids(after=(last.due_at, last.id)) == [later.id, undated.id]
    assert await ids(after=(None, undated.id)) == []
    assert await ids(after=(None, "")) == [undated.id]


async def test_record_status_sets_the_due_date(reports: Any) -> None:
    report = await a_routed_report(reports, due_at=NOW + timedelta(hours=48))
    assert report.due_at == NOW + timedelta(hours=48)
    assert report.is_overdue(NOW + timedelta(hours=49))
    assert not report.is_overdue(NOW)


# --- audit and roster ---------------------------------------------------------------------------


async def test_audit_entries_are_kept_once_and_listed_oldest_first(audit: Any) -> None:
    report_id = f"R{uuid.uuid4().hex[:9]}"
    first = AuditEntry("a1", NOW, report_id, CLERK, "contact_read", {"fields": "email"})
    second = AuditEntry(
        "a2",
        NOW + timedelta(seconds=1),
        report_id,
        CLERK,
        "transition",
        {"to": "resolved", "forward_to": None},
    )

    await audit.record(second)
    await audit.record(first)
    await audit.record(first)
    await audit.record(AuditEntry("a3", NOW, "other", CLERK, "comment"))

    assert await audit.for_report(report_id) == [first, second]
    assert await audit.for_report("nobody") == []


async def test_the_roster_knows_staff_by_id_with_their_latest_department(roster: Any) -> None:
    anna = StaffMember("anna", frozenset({"clerk"}), ROADS.id)
    await roster.remember(anna, NOW)
    assert await roster.member("anna") == anna

    moved = StaffMember("anna", frozenset({"clerk", "dispatcher"}), GREEN.id)
    await roster.remember(moved, NOW + timedelta(days=1))
    assert await roster.member("anna") == moved
    assert await roster.member("ben") is None
