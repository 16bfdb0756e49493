"""Stand-ins for the send methods and the send log, and an example work item.

Fakes are kept by area (tests/fakes.py, alert_fakes.py, this one); the send log fake passes
the same contract tests as `MongoSendLog` (tests/integration/test_sending_log.py).
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime

from stadtmelder_routing.sending.methods import method_key
from stadtmelder_routing.sending.send_log import (
    Claim,
    ClaimState,
    SendRecord,
    SendStatus,
    UnfinishedSend,
    send_key,
)
from stadtmelder_shared.departments import Department, SendMethod
from stadtmelder_shared.event_values import CategoryRef, DepartmentRef, Language, Location
from stadtmelder_shared.work_item_events import WorkItemQueued

SUBMITTED_AT = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def a_work_item(
    report_id: str = "R7KQ2M9XA", event_id: str = "7f0c1e2a-0000-4000-8000-000000000001"
) -> WorkItemQueued:
    return WorkItemQueued(
        event_id=event_id,
        occurred_at=SUBMITTED_AT,
        report_id=report_id,
        jurisdiction="duisburg",
        department=DepartmentRef(id="stadt-licht", name="Stadt Duisburg – Straßenbeleuchtung"),
        category=CategoryRef(
            code="street_light_out",
            names={"de": "Straßenlaterne defekt", "en": "Street light out"},
            group="lighting",
        ),
        description="Laterne vor Hausnummer 12 ist seit Tagen dunkel.",
        location=Location(lat=51.434408, lon=6.762329),
        address="Königstraße 12, 47051 Duisburg",
        answers={"pole_number": "DU-4711", "lamp_state": ["dark", "flickering"], "height_m": 6.5},
        submitted_at=SUBMITTED_AT,
    )


def a_department(*methods: SendMethod, language: Language = "de") -> Department:
    return Department(
        id="stadt-licht",
        names={
            "de": "Stadt Duisburg – Straßenbeleuchtung",
            "en": "City of Duisburg – Street lighting",
        },
        send_methods=methods or (SendMethod("kafka"),),
        language=language,
    )


@dataclass
class ScriptedSender:
    """Answers each call with the next scripted step: an exception to raise, else a receipt."""

    script: list[BaseException | str | None] = field(default_factory=list)
    calls: list[tuple[WorkItemQueued, SendMethod]] = field(default_factory=list)

    async def send(self, item: WorkItemQueued, method: SendMethod) -> str | None:
        self.calls.append((item, method))
        step = self.script.pop(0) if self.script else None
        if isinstance(step, BaseException):
            raise step
        return step


@dataclass
class _Send:
    item: WorkItemQueued
    method: SendMethod
    status: SendStatus
    attempts: int
    failure_announced: bool
    created_at: datetime
    updated_at: datetime
    lease_until: datetime | None
    last_error: str | None = None
    delivered_at: datetime | None = None
    failed_at: datetime | None = None
    receipt: str | None = None


class InMemorySendLog:
    def __init__(self) -> None:
        self.sends: dict[str, _Send] = {}

    async def claim(
        self, item: WorkItemQueued, method: SendMethod, now: datetime, lease_until: datetime
    ) -> Claim:
        key = send_key(item.event_id, method)
        send = self.sends.get(key)
        if send is None:
            self.sends[key] = _Send(item, method, "pending", 0, False, now, now, lease_until)
            return Claim(ClaimState.CLAIMED)
        if send.status == "delivered":
            return Claim(ClaimState.DELIVERED)
        if send.lease_until is not None and send.lease_until > now:
            return Claim(ClaimState.HELD_ELSEWHERE)
        send.lease_until, send.updated_at = lease_until, now
        return Claim(
            ClaimState.CLAIMED,
            send.attempts,
            send.failure_announced,
            earlier_round_since=send.created_at,
        )

    async def extend(self, key: str, lease_until: datetime) -> None:
        self.sends[key].lease_until = lease_until

    async def mark_delivered(
        self, key: str, receipt: str | None, attempts: int, last_error: str | None, at: datetime
    ) -> None:
        send = self.sends[key]
        send.attempts += attempts
        send.last_error = last_error or send.last_error
        send.status, send.receipt, send.lease_until = "delivered", receipt, None
        send.delivered_at = send.updated_at = at

    async def mark_failed(
        self, key: str, error: str, attempts: int, at: datetime, *, failure_announced: bool
    ) -> None:
        send = self.sends[key]
        send.attempts += attempts
        send.status, send.last_error, send.failure_announced = "failed", error, failure_announced
        send.failed_at = send.updated_at = send.lease_until = at

    async def unfinished(self, now: datetime, limit: int) -> list[UnfinishedSend]:
        due = [
            (send.updated_at, key, send)
            for key, send in self.sends.items()
            if send.status != "delivered"
            and send.lease_until is not None
            and send.lease_until <= now
        ]
        return [UnfinishedSend(send.item, send.method) for _, _, send in sorted(due)[:limit]]

    async def failed(self, limit: int) -> list[SendRecord]:
        found = sorted(
            ((key, send) for key, send in self.sends.items() if send.status == "failed"),
            key=lambda pair: (-_timestamp(pair[1].failed_at), pair[0]),
        )
        return [_record(send) for _, send in found[:limit]]

    async def of_report(self, report_id: str) -> list[SendRecord]:
        found = sorted((k, s) for k, s in self.sends.items() if s.item.report_id == report_id)
        return [_record(send) for _, send in found]

    def statuses(self) -> dict[str, SendStatus]:
        return {method_key(send.method): send.status for send in self.sends.values()}

    def expire_leases(self, at: datetime) -> None:
        """As if the worker holding a lease had crashed and its lease had run out."""
        for send in self.sends.values():
            if send.lease_until is not None:
                send.lease_until = min(send.lease_until, at)


def _timestamp(moment: datetime | None) -> float:
    return 0.0 if moment is None else moment.timestamp()


def _record(send: _Send) -> SendRecord:
    return SendRecord(
        event_id=send.item.event_id,
        report_id=send.item.report_id,
        department_id=send.item.department.id,
        method=method_key(send.method),
        status=send.status,
        attempts=send.attempts,
        last_error=send.last_error,
        created_at=send.created_at,
        updated_at=send.updated_at,
        delivered_at=send.delivered_at,
        failed_at=send.failed_at,
        receipt=send.receipt,
    )
