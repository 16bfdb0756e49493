"""Use cases of the reports service: submit a report, show it, record what other services did."""

from collections.abc import Callable
from datetime import UTC, datetime

from stadtmelder_shared.events import ReportRouted

from stadtmelder_reports import domain
from stadtmelder_reports.domain import Category, Report, Submission
from stadtmelder_reports.repository import ReportRepository


def utc_now() -> datetime:
    """Now, to the millisecond: MongoDB keeps no more, so the stored and answered times agree."""
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


class ReportService:
    def __init__(
        self,
        repository: ReportRepository,
        categories: tuple[Category, ...],
        jurisdiction: str,
        on_events_pending: Callable[[], None] = lambda: None,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._repository = repository
        self.categories = categories
        self._by_code = {category.code: category for category in categories}
        self._jurisdiction = jurisdiction
        self._on_events_pending = on_events_pending
        self._clock = clock

    async def submit_report(self, submission: Submission) -> Report:
        """Store the report with its ReportSubmitted event in one write; the relay announces it."""
        report = domain.submit(
            submission,
            self._by_code,
            self._jurisdiction,
            now=self._clock(),
            report_id=domain.new_report_id(),
        )
        await self._repository.add(report)
        self._on_events_pending()
        return report

    async def public_report(self, report_id: str) -> Report:
        return await self._repository.get(report_id)

    async def record_routing(self, event: ReportRouted) -> bool:
        return await self._repository.record_status(
            event.report_id, domain.routed_change(event), department=event.department
        )
