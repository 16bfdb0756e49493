"""SLA timers: work past its due date is announced as overdue and escalated to the lead."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from stadtmelder_routing.work_items import WorkItems
from stadtmelder_shared import topics
from stadtmelder_shared.clock import utc_now
from stadtmelder_shared.departments import Directory
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.event_values import DepartmentRef
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.report_events import ReportOverdue

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OverdueWatch:
    """Checks on a schedule in every replica, each for the reports it `owns` (their work items'
    one writer, `partition_owner`); the derived event ids make a repeated check idempotent."""

    items: WorkItems
    directory: Directory
    publisher: EventPublisher
    jurisdiction: str
    clock: Callable[[], datetime] = utc_now
    owns: Callable[[str], bool] = lambda report_id: True

    async def check_once(self, limit: int = 500) -> list[ReportOverdue]:
        now = self.clock()
        announced = []
        for item in await self.items.overdue(now, limit):
            if item.due_at is None or not self.owns(item.report_id):
                continue
            department = self.directory.get(item.department_id)
            event = ReportOverdue(
                event_id=derived_event_id(f"{item.report_id}:{item.due_at.isoformat()}", "overdue"),
                report_id=item.report_id,
                jurisdiction=self.jurisdiction,
                occurred_at=now,
                department=department.ref()
                if department
                else DepartmentRef(id=item.department_id, name=item.department_id),
                due_at=item.due_at,
                escalated_to=department.lead_email if department else None,
            )
            await self.publisher.publish(topics.REPORTS_OVERDUE, event)
            await self.items.mark_overdue(item.report_id, now)
            log.warning(
                "report overdue at %s", item.department_id, extra={"report_id": item.report_id}
            )
            announced.append(event)
        return announced
