"""An in-memory SupporterStore over the in-memory reports, for the double opt-in's tests."""

from datetime import datetime
from typing import Any

from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.erasure.service import ErasureService
from stadtmelder_reports.support.domain import Supporter
from stadtmelder_reports.support.service import SupportService
from stadtmelder_reports.support.store import supporter_from
from stadtmelder_shared import topics
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS, RecipientKeys
from tests.erasure_fakes import InMemoryContactStore
from tests.fakes import InMemoryReportRepository


class InMemorySupporterStore:
    def __init__(
        self, reports: InMemoryReportRepository, keys: RecipientKeys = DEVELOPMENT_RECIPIENT_KEYS
    ) -> None:
        self._reports = reports
        self._keys = keys
        self.notes: dict[tuple[str, str], datetime] = {}

    def _entries(self, report_id: str, recipient: str) -> list[dict[str, Any]]:
        return [
            entry
            for entry in self._reports.supporter_entries.get(report_id, [])
            if self._keys.of(report_id, str(entry.get("email") or "")) == recipient
        ]

    async def supporter(self, report_id: str, recipient: str) -> tuple[Supporter | None, int]:
        report = self._reports.reports.get(report_id)
        if report is None:
            return None, 0
        found = self._entries(report_id, recipient)
        return (supporter_from(found[0], recipient) if found else None), report.revision

    async def change(
        self, report_id: str, revision: int, recipient: str, fields: dict[str, Any], event: Event
    ) -> bool:
        report = self._reports.reports[report_id]
        if report.revision != revision:
            return False
        for entry in self._entries(report_id, recipient):
            entry.update(fields)
        report.pending_events.append((topics.REPORTS_SUPPORTED, event))
        report.revision += 1
        return True

    async def note_unconfirmed(self, report_id: str, recipient: str, check_at: datetime) -> None:
        self.notes[(report_id, recipient)] = check_at

    async def unconfirmed_due(self, before: datetime, limit: int) -> list[tuple[str, str]]:
        return [key for key, at in self.notes.items() if at <= before][:limit]

    async def drop_note(self, report_id: str, recipient: str) -> None:
        self.notes.pop((report_id, recipient), None)


def in_memory_support(
    service: ReportService, repository: InMemoryReportRepository
) -> SupportService:
    """The double opt-in over the in-memory reports, erasing through the in-memory contacts."""
    contacts = InMemoryContactStore(repository)
    erasure = ErasureService(repository, contacts, service.data_keys.destroy)
    return SupportService(service, InMemorySupporterStore(repository), erasure)
