"""In-memory stand-ins for retention (reports that keep supporters, the store's queries) and
the closed reports its tests start from."""

import hashlib
import uuid
from datetime import datetime, timedelta

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Report, StatusChange, Submission, supported
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.core.submission import submit
from stadtmelder_reports.erasure.domain import Erasure
from stadtmelder_reports.photos.cleaning import CleanPhoto
from stadtmelder_reports.retention.domain import CLOSED_STATUSES
from stadtmelder_shared import topics
from stadtmelder_shared.contacts import seal_person
from stadtmelder_shared.data_keys import supporter_key_id
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import DepartmentRef, Location, Reporter
from stadtmelder_shared.sealing import new_data_key
from tests.erasure_fakes import InMemoryContactStore
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository, recipient_key

DUISBURG = load_jurisdiction()
REPORTER = Reporter(email="melderin@example.org", name="Mia Melder")
ROADS = DepartmentRef(id="wbd-strasse", name="Straßen und Gehwege")


class SupportedReports(InMemoryReportRepository):
    """Also keeps each supporter's address, as the Mongo adapter does."""

    def __init__(self) -> None:
        super().__init__()
        self.supporters: dict[str, list[str]] = {}

    async def add_supporter(
        self, report_id: str, supporter_key: str | None, supporter: Reporter | None, event: Event
    ) -> bool:
        added = await super().add_supporter(report_id, supporter_key, supporter, event)
        if added and supporter is not None and supporter.email:
            self.supporters.setdefault(report_id, []).append(supporter.email)
        return added


class SupporterContactStore(InMemoryContactStore):
    """Erases supporters too (the plain contact fake keeps none)."""

    def __init__(self, reports: SupportedReports) -> None:
        super().__init__(reports)
        self._supported = reports

    async def erase_supporter(self, report_id: str, erasure: Erasure) -> bool:
        kept = self._supported.supporters.get(report_id, [])
        left = [e for e in kept if recipient_key(report_id, e) != erasure.event.recipient_key]
        if left == kept:
            return False
        self._supported.supporters[report_id] = left
        report = self._supported.reports[report_id]
        report.pending_events.append((topics.CONTACT_DATA_ERASED, erasure.event))
        report.revision += 1
        return True


class InMemoryRetentionStore:
    def __init__(self, reports: SupportedReports, audit: InMemoryAuditLog) -> None:
        self._reports = reports
        self._audit = audit

    async def due(
        self, contact_before: datetime, photos_before: datetime, after: str, limit: int
    ) -> list[str]:
        def keeps(r: Report) -> bool:
            contact = r.reporter is not None or bool(self._reports.supporters.get(r.id))
            return (contact and r.updated_at <= contact_before) or (
                bool(r.photos) and r.updated_at <= photos_before
            )

        found = sorted(
            r.id
            for r in self._reports.reports.values()
            if r.id > after and r.status in CLOSED_STATUSES and keeps(r)
        )
        return found[:limit]

    async def supporters(self, report_id: str) -> list[str]:
        return [recipient_key(report_id, e) for e in self._reports.supporters.get(report_id, [])]

    async def remove_photos(self, report: Report, at: datetime) -> bool:
        for photo in report.photos:
            self._reports.photos.pop((report.id, photo.number), None)
        stored = self._reports.reports[report.id]
        if stored.revision != report.revision:
            return False
        stored.photos = []
        stored.revision += 1
        return True

    async def forget_contact_reads(self, before: datetime, limit: int) -> int:
        due = [
            e.id
            for e in self._audit.entries.values()
            if e.action == "contact_read" and e.at < before
        ][:limit]
        for entry_id in due:
            del self._audit.entries[entry_id]
        return len(due)


def a_photo() -> CleanPhoto:
    return CleanPhoto(
        "image/jpeg", b"\xff\xd8 photo", 64, 48, b"\xff\xd8 thumb", "image/jpeg", None
    )


async def a_closed_report(
    reports: ReportRepository,
    closed_at: datetime,
    status: str = "resolved",
    contact: Reporter | None = REPORTER,
    photos: int = 1,
) -> Report:
    """A report submitted and routed a week before `closed_at`, and closed then with `status`."""
    submission = Submission(
        "road_damage",
        "Schlagloch vor Hausnummer 40",
        Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1]),
        answers=valid_answers(DUISBURG.category("road_damage")),
        contact=contact,
    )
    report_id = f"R{uuid.uuid4().hex[:9].upper()}"
    submitted_at = closed_at - timedelta(days=7)
    new = submit(
        submission,
        DUISBURG,
        (a_photo(),) * photos,
        submitted_at,
        report_id,
        f"t-{report_id}",
        new_data_key(),
    )
    await reports.add(new.report, new.photos)
    await reports.record_status(
        report_id, StatusChange("routed", submitted_at, str(uuid.uuid4()), department=ROADS)
    )
    await reports.record_status(
        report_id, StatusChange(status, closed_at, str(uuid.uuid4()), department=ROADS)
    )
    return await reports.get(report_id)


async def support(reports: ReportRepository, report: Report, email: str) -> None:
    """A supporter who left their address (while the report was open, as the service allows)."""
    supporter = Reporter(email=email)
    sealed = seal_person(
        new_data_key(),
        supporter_key_id(report.id, recipient_key(report.id, email)),
        supporter,
        "supporter",
    )
    event = supported(report, sealed, report.created_at)
    await reports.add_supporter(
        report.id, hashlib.sha256(email.encode()).hexdigest(), supporter, event
    )
