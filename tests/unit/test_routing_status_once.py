"""A status change routing applied before (redelivered after a crash, or replayed from the
topic's start) changes nothing on the work item and sends nothing to the department."""

from dataclasses import replace
from datetime import timedelta

from stadtmelder_routing.service import RoutingService
from stadtmelder_routing.work_items import APPLIED_CHANGES, _from_document, _to_document
from stadtmelder_shared.event_values import Actor, DepartmentRef
from stadtmelder_shared.report_events import ReportStatusChanged
from tests.fakes import InMemoryWorkItems
from tests.unit.test_routing_reopened import (
    DIRECTORY,
    NOW,
    RecordingDispatcher,
    a_playground_report,
    a_service,
    reopened_by_citizen,
)

REPORT = "SPIEL-12345"
LATER = NOW + timedelta(days=2)


def a_step(number: int, status: str, previous: str, department: str) -> ReportStatusChanged:
    return ReportStatusChanged(
        event_id=f"5e0c7d2a-0000-4000-8000-{number:012d}",
        report_id=REPORT,
        jurisdiction="duisburg",
        status=status,
        previous_status=previous,
        department=DepartmentRef(id=department, name=department),
        actor=Actor(role="clerk"),
    )


async def a_routed_report() -> tuple[RoutingService, InMemoryWorkItems, RecordingDispatcher]:
    items, dispatcher = InMemoryWorkItems(), RecordingDispatcher()
    service = a_service(items, dispatcher, LATER)
    await service.route_report(a_playground_report())
    return service, items, dispatcher


async def test_a_reopening_delivered_again_mails_the_department_once() -> None:
    service, items, dispatcher = await a_routed_report()
    department = items.items[REPORT].department_id
    reopening = reopened_by_citizen(department)

    assert await service.follow_status(reopening)
    after_first = items.items[REPORT]
    assert not await service.follow_status(reopening)  # redelivered after a crash

    assert len(dispatcher.sent) == 2  # the work order, then the reopening: not a second time
    assert items.items[REPORT] == after_first


async def test_a_replayed_history_leaves_the_item_as_its_last_step_left_it() -> None:
    service, items, dispatcher = await a_routed_report()
    department = items.items[REPORT].department_id
    history = [
        a_step(1, "in_progress", "routed", department),
        a_step(2, "resolved", "in_progress", department),
        reopened_by_citizen(department),
        a_step(3, "resolved", "reopened", department),
    ]
    for change in history:
        await service.follow_status(change)
    settled, sent = items.items[REPORT], len(dispatcher.sent)
    await items.mark_overdue(REPORT, LATER)  # the watch wrote meanwhile
    settled = replace(settled, overdue_at=LATER)

    for change in history:  # a consumer group reading the topic from its start
        assert not await service.follow_status(change)

    # Still resolved (not reopened and owed again), the overdue mark kept, nothing sent.
    assert items.items[REPORT] == settled
    assert settled.status == "resolved"
    assert len(dispatcher.sent) == sent == 2


async def test_a_forward_delivered_again_neither_moves_nor_resends_the_work() -> None:
    service, items, dispatcher = await a_routed_report()
    first = items.items[REPORT].department_id
    target = next(d for d in DIRECTORY.departments if d.id != first)
    forward = a_step(4, "forwarded", "routed", first).model_copy(
        update={"forwarded_to": target.ref()}
    )
    accepted = a_step(5, "acknowledged", "routed", target.id)

    await service.follow_status(forward)
    await service.follow_status(accepted)
    assert not await service.follow_status(forward)

    item = items.items[REPORT]
    assert (item.department_id, item.status) == (target.id, "acknowledged")
    assert [d.id for _, d in dispatcher.sent] == [first, target.id]
    assert item.applied_changes == (forward.event_id, accepted.event_id)


async def test_the_item_remembers_its_latest_changes_only() -> None:
    service, items, _ = await a_routed_report()
    department = items.items[REPORT].department_id
    for number in range(APPLIED_CHANGES + 5):
        await service.follow_status(a_step(number, "in_progress", "routed", department))

    remembered = items.items[REPORT].applied_changes
    assert len(remembered) == APPLIED_CHANGES
    assert remembered[-1] == a_step(APPLIED_CHANGES + 4, "", "", department).event_id
    assert a_step(4, "", "", department).event_id not in remembered


async def test_the_stored_document_keeps_the_applied_changes() -> None:
    service, items, _ = await a_routed_report()
    await service.follow_status(a_step(1, "in_progress", "routed", "wbd-gruen"))
    item = items.items[REPORT]

    assert _from_document(_to_document(item)) == item
    older = {k: v for k, v in _to_document(item).items() if k != "applied_changes"}
    assert _from_document(older).applied_changes == ()  # stored before the field existed
