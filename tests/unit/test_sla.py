from datetime import UTC, datetime, timedelta

from stadtmelder_routing.sla import OverdueWatch
from stadtmelder_routing.work_items import WorkItem
from stadtmelder_shared import topics
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.report_events import ReportOverdue
from tests.fakes import InMemoryWorkItems, RecordingPublisher

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)


def an_item(report_id: str, due_in_hours: float, status: str = "acknowledged") -> WorkItem:
    return WorkItem(
        report_id=report_id,
        department_id="wbd-strasse",
        category="road_damage",
        location=Location(lat=51.43, lon=6.76),
        status=status,
        due_at=NOW + timedelta(hours=due_in_hours),
    )


async def test_open_work_past_its_due_date_is_announced_once_and_escalated_to_the_lead() -> None:
    items, publisher = InMemoryWorkItems(), RecordingPublisher()
    for item in (
        an_item("LATE", -1),
        an_item("ON-TIME", 5),
        an_item("DONE-LATE", -3, status="resolved"),
    ):
        await items.save(item)
    watch = OverdueWatch(items, load_directory(), publisher, "duisburg", clock=lambda: NOW)

    first = await watch.check_once()
    second = await watch.check_once()

    assert [event.report_id for event in first] == ["LATE"]
    assert second == []
    [(topic, event)] = publisher.published
    assert topic == topics.REPORTS_OVERDUE
    assert isinstance(event, ReportOverdue)
    assert event.escalated_to == "strasse-leitung@wbd.example"
    assert items.items["LATE"].overdue_at == NOW
