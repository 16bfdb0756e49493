"""The reporter's use case: everything stored about them, found by their private tracking token."""

from dataclasses import dataclass

from litestar.di import NamedDependency

from stadtmelder_reports.core.domain import token_hash
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.privacy.domain import DataHeld, staff_reads, to_reporter
from stadtmelder_reports.retention.domain import Periods
from stadtmelder_reports.staff.repository import AuditLog
from stadtmelder_shared.departments import Directory


@dataclass(frozen=True)
class PrivacyService:
    reports: ReportRepository
    audit: AuditLog
    directory: Directory
    retention: Periods

    async def data_held(self, tracking_token: str) -> DataHeld:
        """Raises TrackingTokenUnknown for a token no report has."""
        report = await self.reports.by_tracking_token(token_hash(tracking_token))
        entries = await self.audit.for_report(report.id)
        return DataHeld(
            report=report,
            contact=report.reporter,
            messages=to_reporter(report),
            staff_reads=staff_reads(entries, self.directory),
            retention=self.retention,
        )


# Handlers ask for the use case by the parameter name `privacy`.
Privacy = NamedDependency[PrivacyService]
