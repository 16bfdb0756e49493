"""A reopened report is mailed to the department that works it, once per reopening."""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from stadtmelder_routing.assets import AssetRegistry
from stadtmelder_routing.responsibility import load_model
from stadtmelder_routing.service import RoutingService
from stadtmelder_shared.departments import Department, load_directory
from stadtmelder_shared.event_values import Actor, CategoryRef, DepartmentRef, Location
from stadtmelder_shared.report_events import ReportStatusChanged, ReportSubmitted
from stadtmelder_shared.work_item_events import WorkItemQueued
from tests.fakes import InMemoryWorkItems, RecordingPublisher

DIRECTORY = load_directory()
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


@dataclass
class RecordingDispatcher:
    sent: list[tuple[WorkItemQueued, Department]] = field(default_factory=list)

    async def dispatch(self, item: WorkItemQueued, department: Department) -> None:
        self.sent.append((item, department))


def a_playground_report() -> ReportSubmitted:
    return ReportSubmitted(
        event_id="5b6f0a4e-0000-4000-8000-000000000001",
        report_id="SPIEL-12345",
        jurisdiction="duisburg",
        occurred_at=NOW,
        category=CategoryRef(code="playground_damage", names={"de": "Spielplatz"}),
        description="Schaukel hängt schief",
        location=Location(lat=51.4325, lon=6.7652),
        photo_count=2,
    )


def reopened_by_citizen(department: str) -> ReportStatusChanged:
    return ReportStatusChanged(
        event_id="9d1c2b3a-0000-4000-8000-000000000002",
        report_id="SPIEL-12345",
        jurisdiction="duisburg",
        status="reopened",
        previous_status="resolved",
        department=DepartmentRef(id=department, name=department),
        actor=Actor(role="citizen"),
        staff_note="Die Kette ist wieder lose.",
    )


def a_service(
    items: InMemoryWorkItems, dispatcher: RecordingDispatcher, now: datetime = NOW
) -> RoutingService:
    return RoutingService(
        items,
        load_model(departments=DIRECTORY),
        AssetRegistry(()),
        DIRECTORY,
        RecordingPublisher(),
        dispatcher,
        clock=lambda: now,
    )


async def test_a_reopened_report_is_mailed_to_its_department_with_the_citizens_words() -> None:
    dispatcher = RecordingDispatcher()
    service = a_service(InMemoryWorkItems(), dispatcher)
    await service.route_report(a_playground_report())
    [(order, department)] = dispatcher.sent
    assert department.id == "wbd-gruen"  # the one department of the directory with a mailbox

    await service.follow_status(reopened_by_citizen(department.id))
    await service.follow_status(reopened_by_citizen(department.id))  # redelivered

    # The redelivery sends nothing (tests/unit/test_routing_status_once.py has more).
    [(reopened, to)] = dispatcher.sent[1:]
    assert reopened.reopening is not None
    assert (reopened.reopening.by, reopened.reopening.reason) == (
        "citizen",
        "Die Kette ist wieder lose.",
    )
    assert reopened.photo_count == 2
    assert reopened.event_id != order.event_id
    assert [m.kind for m in to.send_methods] == ["email"]
