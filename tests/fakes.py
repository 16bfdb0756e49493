"""In-memory stand-ins for the adapters; they pass the same contract tests as the real ones."""

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from stadtmelder_notify.domain import Mail
from stadtmelder_notify.repository import Claim
from stadtmelder_reports.domain import Report, ReportNotFound, StatusChange
from stadtmelder_shared.events import DepartmentRef, Event, ReportRouted


class InMemoryReportRepository:
    def __init__(self) -> None:
        self.reports: dict[str, Report] = {}

    async def add(self, report: Report) -> None:
        self.reports[report.id] = replace(
            report, history=list(report.history), pending_events=list(report.pending_events)
        )

    async def get(self, report_id: str) -> Report:
        if report_id not in self.reports:
            raise ReportNotFound(report_id)
        report = self.reports[report_id]
        return replace(
            report, history=list(report.history), pending_events=list(report.pending_events)
        )

    async def record_status(
        self, report_id: str, change: StatusChange, department: DepartmentRef | None = None
    ) -> bool:
        if report_id not in self.reports:
            raise ReportNotFound(report_id)
        report = self.reports[report_id]
        if any(seen.event_id == change.event_id for seen in report.history):
            return False
        report.status = change.status
        if department is not None:
            report.department = department
        report.history.append(change)
        return True

    async def with_pending_events(self, limit: int) -> list[Report]:
        pending = [r for r in self.reports.values() if r.pending_events][:limit]
        return [await self.get(report.id) for report in pending]

    async def mark_published(self, report_id: str, event_ids: Iterable[str]) -> None:
        published = set(event_ids)
        report = self.reports[report_id]
        report.pending_events = [
            (topic, event)
            for topic, event in report.pending_events
            if event.event_id not in published
        ]

    async def ping(self) -> None:
        return None


class InMemoryRoutingLog:
    def __init__(self) -> None:
        self.routed: dict[str, ReportRouted] = {}

    async def was_routed(self, submitted_event_id: str) -> bool:
        return submitted_event_id in self.routed

    async def remember(self, routed: ReportRouted, at: datetime) -> None:
        self.routed.setdefault(routed.caused_by, routed)

    async def ping(self) -> None:
        return None


@dataclass
class _Delivery:
    status: str
    lease_until: datetime
    attempts: int = 1
    last_error: str | None = None


class InMemoryDeliveryLog:
    def __init__(self) -> None:
        self.deliveries: dict[str, _Delivery] = {}

    async def claim(self, key: str, now: datetime, lease_until: datetime) -> Claim:
        delivery = self.deliveries.get(key)
        if delivery is None:
            self.deliveries[key] = _Delivery("sending", lease_until)
            return Claim.CLAIMED
        if delivery.status == "sent":
            return Claim.ALREADY_SENT
        if delivery.lease_until <= now:
            delivery.status, delivery.lease_until = "sending", lease_until
            delivery.attempts += 1
            return Claim.CLAIMED
        return Claim.HELD_ELSEWHERE

    async def mark_sent(self, key: str, at: datetime) -> None:
        self.deliveries[key].status = "sent"

    async def mark_failed(self, key: str, reason: str, at: datetime) -> None:
        delivery = self.deliveries[key]
        delivery.status, delivery.last_error, delivery.lease_until = "failed", reason, at

    async def ping(self) -> None:
        return None


@dataclass
class RecordingPublisher:
    published: list[tuple[str, Event]] = field(default_factory=list)
    failing: bool = False

    async def publish(self, topic: str, event: Event) -> None:
        if self.failing:
            raise ConnectionError("Kafka is away")
        self.published.append((topic, event))

    def topics(self) -> list[str]:
        return [topic for topic, _ in self.published]


@dataclass
class RecordingMailer:
    sent: list[Mail] = field(default_factory=list)
    failures_left: int = 0

    async def send(self, mail: Mail, language: str) -> None:
        if self.failures_left:
            self.failures_left -= 1
            raise ConnectionRefusedError("SMTP server away")
        self.sent.append(mail)
