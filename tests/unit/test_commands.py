"""Staff writes travel as commands to the report's owner: applied once per command id, refused
as the write in place would be, and answered 202 with a link when no result comes in time."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import build_app
from stadtmelder_reports.commands.refusals import error_of, refusal_of
from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import (
    InvalidTransition,
    NotAllowed,
    ReportChangedMeanwhile,
    ReportsError,
)
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.staff.auth import LOCAL_ISSUER, LocalKeys, TokenVerifier
from stadtmelder_reports.staff.commanded import STAFF_ACTIONS, apply_staff_command
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.staff.token import ensure_signing_key, issue_token
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.report_events import ReportRouted
from tests.command_fakes import Loopback
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository, InMemoryStaffRoster

DUISBURG = load_jurisdiction()
DIRECTORY = load_directory()
AUDIENCE = "stadtmelder-staff"
ROADS = "wbd-strasse"


@dataclass
class Replicas:
    client: AsyncTestClient[Litestar]
    kafka: Loopback
    reports: InMemoryReportRepository
    owner_work: WorkService
    token: str
    report_id: str = ""

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        headers = {"Authorization": f"Bearer {self.token}"}
        return await self.client.post(f"/api/v1/staff{path}", json=body, headers=headers)


async def routed_report(service: ReportService) -> str:
    new = await service.submit_report(
        Submission(
            "road_damage",
            "Ein Schlagloch vor der Tür.",
            Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1]),
            answers=valid_answers(DUISBURG.category("road_damage")),
        )
    )
    report = new.report
    department = DIRECTORY.get(ROADS)
    assert department is not None
    await service.record_routing(
        ReportRouted(
            report_id=report.id,
            jurisdiction=report.jurisdiction,
            category=report.category,
            department=department.ref(),
            rule="test",
            caused_by=report.pending_events[0][1].event_id,
        )
    )
    return report.id


@pytest.fixture
async def replicas(tmp_path: Path) -> AsyncIterator[Replicas]:
    key_file = tmp_path / "staff-key.pem"
    key = ensure_signing_key(key_file)
    reports, audit, roster = InMemoryReportRepository(), InMemoryAuditLog(), InMemoryStaffRoster()
    kafka = Loopback()
    asker, owner = kafka.asker, kafka.owner
    work = WorkService(reports, audit, roster, DIRECTORY, DUISBURG.code, commands=asker)
    owner_work = WorkService(reports, audit, roster, DIRECTORY, DUISBURG.code, commands=owner)
    for kind in STAFF_ACTIONS:
        owner.applies(kind, partial(apply_staff_command, owner_work))
    service = ReportService(reports, DUISBURG, directory=DIRECTORY, data_keys=InMemoryDataKeys())
    verifier = TokenVerifier(LocalKeys(key_file), LOCAL_ISSUER, AUDIENCE, DIRECTORY)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.work = work
        app.state.staff_verifier = verifier
        app.state.api_keys = None
        yield

    app = build_app(lifespan, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(9))
    token = issue_token(key, "anna.clerk", ["clerk"], ROADS, AUDIENCE, now=datetime.now(UTC))
    async with AsyncTestClient(app) as client:
        replicas = Replicas(client, kafka, reports, owner_work, token)
        replicas.report_id = await routed_report(service)
        yield replicas


async def test_a_staff_step_is_applied_by_the_owner_and_answered_with_the_report(
    replicas: Replicas,
) -> None:
    report_id = replicas.report_id

    answer = await replicas.post(f"/reports/{report_id}/transitions", {"to": "acknowledged"})

    assert answer.status_code == 200, answer.text
    assert answer.json()["status"] == "acknowledged"
    [command] = replicas.kafka.held
    assert command.report_id == report_id
    assert command.action.kind == "transition"
    assert command.by is not None
    assert command.by.user_id == "anna.clerk"
    assert [done.command_id for done in replicas.kafka.results] == [command.event_id]


async def test_a_command_delivered_again_is_applied_once_and_answered_again(
    replicas: Replicas,
) -> None:
    report_id = replicas.report_id
    await replicas.post(f"/reports/{report_id}/comments", {"visibility": "public", "text": "Ok"})
    [command] = replicas.kafka.held

    assert await replicas.kafka.deliver(command) is False
    # A new owner after a rebalance remembers nothing, yet the stored ids make it once too.
    fresh = Commands(replicas.kafka)
    for kind in STAFF_ACTIONS:
        fresh.applies(kind, partial(apply_staff_command, replicas.owner_work))
    replicas.kafka.owner = fresh
    assert await replicas.kafka.deliver(command) is False

    comments = (await replicas.reports.get(report_id)).comments
    assert [comment.text for comment in comments] == ["Ok"]
    assert len(replicas.kafka.results) == 3
    assert all(done.refusal is None for done in replicas.kafka.results)


async def test_a_refused_command_answers_as_the_write_in_place_would(replicas: Replicas) -> None:
    report_id = replicas.report_id

    answer = await replicas.post(f"/reports/{report_id}/transitions", {"to": "resolved"})

    assert answer.status_code == 409, answer.text
    body = answer.json()
    assert body["code"] == "invalid_transition"
    assert body["current_status"] == "routed"
    assert "acknowledged" in body["allowed"]
    assert replicas.kafka.results[0].refusal is not None


async def test_no_result_in_time_answers_202_with_the_report_to_follow_and_applies_later(
    replicas: Replicas,
) -> None:
    report_id = replicas.report_id
    replicas.kafka.hold = True

    answer = await replicas.post(f"/reports/{report_id}/transitions", {"to": "acknowledged"})

    assert answer.status_code == 202, answer.text
    body = answer.json()
    assert body["code"] == "accepted"
    assert body["follow"] == f"/api/v1/staff/reports/{report_id}"
    assert answer.headers["location"] == body["follow"]
    assert (await replicas.reports.get(report_id)).status == "routed"
    [command] = replicas.kafka.held
    assert await replicas.kafka.deliver(command) is True
    assert await replicas.kafka.deliver(command) is False
    report = await replicas.reports.get(report_id)
    assert report.status == "acknowledged"
    assert [change.status for change in report.history].count("acknowledged") == 1


def test_a_refusal_made_again_keeps_the_key_of_the_pages_sentence() -> None:
    refused = NotAllowed("Only staff of the report's department can claim it.", "not_allowed_claim")

    again = error_of(refusal_of(refused), "R1")

    assert isinstance(again, NotAllowed)
    assert (str(again), again.key) == (str(refused), "not_allowed_claim")


def test_an_error_that_cannot_be_made_again_becomes_changed_meanwhile() -> None:
    refused = refusal_of(InvalidTransition("R1", "routed", "resolved", ["acknowledged"]))
    again = error_of(refused, "R1")
    assert isinstance(again, InvalidTransition)
    assert (again.current, again.allowed, str(again)) == (
        "routed",
        ["acknowledged"],
        str(InvalidTransition("R1", "routed", "resolved", ["acknowledged"])),
    )

    class Local(ReportsError):
        def __init__(self, thing: object) -> None:
            super().__init__("local")

    assert isinstance(error_of(refusal_of(Local(object())), "R1"), ReportChangedMeanwhile)
