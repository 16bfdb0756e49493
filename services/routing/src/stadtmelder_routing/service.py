"""Routing use cases: decide once per submission, hand out the work, follow its status."""

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Protocol

from stadtmelder_routing import domain
from stadtmelder_routing.assets import AssetRegistry, asset_for_report
from stadtmelder_routing.known_works import KnownWorks
from stadtmelder_routing.responsibility import ResponsibilityModel
from stadtmelder_routing.work_items import WorkItems
from stadtmelder_shared import topics
from stadtmelder_shared.clock import utc_now
from stadtmelder_shared.departments import Department, Directory
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.report_events import (
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
    ReportUnroutable,
)
from stadtmelder_shared.work_item_events import WorkItemQueued

log = logging.getLogger(__name__)


class WorkDispatcher(Protocol):
    async def dispatch(self, item: WorkItemQueued, department: Department) -> Any:
        """Hand the item to every send method of the department; never silently drop it."""
        ...


class KafkaWorkDispatcher:
    """The send method every department has: its own Kafka topic."""

    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def dispatch(self, item: WorkItemQueued, department: Department) -> None:
        await self._publisher.publish(topics.department_work(department.id), item)


# Not frozen: `use` swaps the responsibility data while the service runs.
@dataclass
class RoutingService:
    work_items: WorkItems
    model: ResponsibilityModel
    assets: AssetRegistry
    directory: Directory
    publisher: EventPublisher
    dispatcher: WorkDispatcher
    duplicate_radius_m: float = 50.0
    clock: Callable[[], datetime] = utc_now
    works: KnownWorks = field(default_factory=KnownWorks)

    def use(self, model: ResponsibilityModel, assets: AssetRegistry) -> None:
        """Switch to other responsibility data, e.g. official areas imported by an operator."""
        self.model, self.assets = model, assets

    async def route_report(
        self, submitted: ReportSubmitted, origin: str | None = None
    ) -> ReportRouted | ReportUnroutable | None:
        """Route a submission; None when another record of it was routed before.

        `origin` names the record (topic/partition/offset): the same record comes again only
        when its handling did not finish, so it is handled again; a second record of the same
        submission (a relay that published twice) is skipped.
        """
        # Both only read (and place the report in the nearby index), so they wait for MongoDB
        # together; the duplicates go unused for the rare unroutable submission.
        async with asyncio.TaskGroup() as reads:
            nearby = reads.create_task(self._probable_duplicates(submitted))
            works = reads.create_task(self.works.at(submitted.location, submitted.occurred_at))
        now = self.clock()
        code, location = submitted.category.code, submitted.location
        asset = asset_for_report(self.assets, code, location, submitted.answers)
        decision = self.model.decide(code, location, asset)
        department = self.directory.get(decision.department_id) if decision else None
        decided: ReportRouted | ReportUnroutable
        if decision is None or department is None:
            department = self.directory.triage
            decided = domain.unroutable(submitted, department, now)
            topic, status, due_at = topics.REPORTS_UNROUTABLE, "triage", None
        else:
            asset_id = asset.id if asset else None
            decided = domain.routed(
                submitted, decision, department, now, asset_id, nearby.result(), works.result()
            )
            topic, status, due_at = topics.REPORTS_ROUTED, "routed", decided.due_at
        # Routing's own view of the work first, as the memory that this submission was routed:
        # a crash after it brings the same record again, which is handled again (every
        # consumer recognises the same event ids); a duplicate record finds it and stops.
        order = domain.work_item(submitted, department, now, works=works.result())
        earlier = await self.work_items.save_new(domain.tracked(order, status, due_at, origin))
        if earlier is not None and (origin is None or earlier.origin != origin):
            return None
        await self.dispatcher.dispatch(order, department)
        await self.publisher.publish(topic, decided)
        return decided

    async def follow_status(self, change: ReportStatusChanged) -> bool:
        """Keep the work view current; a forwarded report goes to its new department. False
        for a change the item applied before (delivered again): nothing changed, nothing sent.

        The change's id is saved with what it changed, so one whose handling stopped before
        the save is applied again; what it sent then carries the same event ids as before,
        which the send log recognises."""
        item = await self.work_items.get(change.report_id)
        if item is None:
            return False
        if change.event_id in item.applied_changes:
            return False
        target = self.directory.get(change.forwarded_to.id) if change.forwarded_to else None
        if target is not None and target.id != item.department_id and item.order is not None:
            moved = domain.forwarded(item, target, change.event_id, self.clock())
            assert moved.order is not None
            await self.dispatcher.dispatch(moved.order, target)
            await self.work_items.save(moved.applied(change.event_id))
            return True
        if change.status == "reopened":
            # Reopened work is owed again: a fresh SLA, and overdue may be announced again.
            department = self.directory.get(item.department_id)
            now = self.clock()
            due_at = department.due_at(item.category, now) if department else item.due_at
            if department is not None and item.order is not None:
                await self._tell_reopened(item.order, change, department)
            item = replace(item, due_at=due_at, overdue_at=None)
        await self.work_items.save(replace(item, status=change.status).applied(change.event_id))
        return True

    async def _tell_reopened(
        self, order: WorkItemQueued, change: ReportStatusChanged, department: Department
    ) -> None:
        """By mail only: the work order sent again to a webhook, a back office's Open311 or the
        department's topic would open a second case there for the same report."""
        mailboxes = tuple(m for m in department.send_methods if m.kind == "email")
        if mailboxes:
            reopened = domain.reopened_order(order, change)
            await self.dispatcher.dispatch(reopened, replace(department, send_methods=mailboxes))

    async def _probable_duplicates(self, submitted: ReportSubmitted) -> list[str]:
        if submitted.location is None:
            return []
        nearby = await self.work_items.open_near(
            submitted.category.code,
            submitted.location,
            self.duplicate_radius_m,
            placing=submitted.report_id,
        )
        return sorted(nearby)
