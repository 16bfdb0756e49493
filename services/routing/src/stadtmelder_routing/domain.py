"""Routing decisions as events: what a decision announces, and probable duplicates."""

from dataclasses import replace
from datetime import datetime
from typing import TypedDict

from stadtmelder_routing.responsibility import Decision
from stadtmelder_routing.work_items import WorkItem
from stadtmelder_shared.departments import Department
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.event_values import CategoryRef, Reopening, WorksRef
from stadtmelder_shared.report_events import (
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
    ReportUnroutable,
)
from stadtmelder_shared.sealing import Sealed
from stadtmelder_shared.work_item_events import WorkItemQueued


def routed(
    submitted: ReportSubmitted,
    decision: Decision,
    department: Department,
    now: datetime,
    asset_id: str | None,
    duplicates: list[str],
    works: list[WorksRef] | None = None,
) -> ReportRouted:
    """The announcement of a decision; its id derives from the submission's id."""
    return ReportRouted(
        **_answer_to(submitted, "routed", now),
        department=department.ref(),
        rule=decision.rule,
        due_at=department.due_at(submitted.category.code, submitted.occurred_at),
        area=decision.area_id,
        asset_id=asset_id,
        probable_duplicates=duplicates,
        location=submitted.location,
        address=submitted.address,
        works=works or [],
    )


def unroutable(submitted: ReportSubmitted, triage: Department, now: datetime) -> ReportUnroutable:
    place = "without a place" if submitted.location is None else "at this place"
    return ReportUnroutable(
        **_answer_to(submitted, "unroutable", now),
        department=triage.ref(),
        reason=f"No responsibility rule covers '{submitted.category.code}' {place}.",
    )


class _Answer(TypedDict):
    event_id: str
    occurred_at: datetime
    report_id: str
    jurisdiction: str
    category: CategoryRef
    caused_by: str
    # Copied still sealed: routing never opens contact data (docs/personal-data.md).
    reporter: Sealed | None
    submitted_at: datetime


def _answer_to(submitted: ReportSubmitted, outcome: str, now: datetime) -> _Answer:
    """What every answer to a submission carries: its report and reporter, and an id derived
    from the submission's, so a redelivered submission is answered with the same event."""
    return _Answer(
        event_id=derived_event_id(submitted.event_id, outcome),
        occurred_at=now,
        report_id=submitted.report_id,
        jurisdiction=submitted.jurisdiction,
        category=submitted.category,
        caused_by=submitted.event_id,
        reporter=submitted.reporter,
        submitted_at=submitted.occurred_at,
    )


def work_item(
    submitted: ReportSubmitted,
    department: Department,
    now: datetime,
    purpose: str = "work",
    works: list[WorksRef] | None = None,
) -> WorkItemQueued:
    """The department's work order; no reporter contact in it (privacy by default)."""
    return WorkItemQueued(
        event_id=derived_event_id(submitted.event_id, f"{purpose}:{department.id}"),
        occurred_at=now,
        report_id=submitted.report_id,
        jurisdiction=submitted.jurisdiction,
        department=department.ref(),
        category=submitted.category,
        description=submitted.description,
        location=submitted.location,
        address=submitted.address,
        answers=submitted.answers,
        submitted_at=submitted.occurred_at,
        labelled_answers=submitted.labelled_answers,
        photo_count=submitted.photo_count,
        works=works or [],
        playground=submitted.playground,
    )


def reopened_order(order: WorkItemQueued, change: ReportStatusChanged) -> WorkItemQueued:
    """The work order again, saying who reopened the report and why; once per reopening."""
    reason = change.staff_note or change.reason or change.public_comment
    return order.model_copy(
        update={
            "event_id": derived_event_id(change.event_id, f"reopened:{order.department.id}"),
            "occurred_at": change.occurred_at,
            "reopening": Reopening(by=change.actor.role, reason=reason),
        }
    )


def tracked(
    order: WorkItemQueued, status: str, due_at: datetime | None, origin: str | None = None
) -> WorkItem:
    return WorkItem(
        report_id=order.report_id,
        department_id=order.department.id,
        category=order.category.code,
        location=order.location,
        status=status,
        due_at=due_at,
        order=order,
        origin=origin,
    )


def forwarded(item: WorkItem, target: Department, cause_event_id: str, now: datetime) -> WorkItem:
    """The work item moved to another department, with a fresh due date and work order; it
    still remembers the status changes it applied."""
    assert item.order is not None
    order = item.order.model_copy(
        update={
            "event_id": derived_event_id(cause_event_id, f"work:{target.id}"),
            "occurred_at": now,
            "department": target.ref(),
        }
    )
    moved = tracked(order, "routed", target.due_at(item.category, now))
    return replace(moved, applied_changes=item.applied_changes)
