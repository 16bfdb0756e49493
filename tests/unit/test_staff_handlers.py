"""The reports service's consumers of triage and department updates, through TestKafkaBroker."""

import json
import logging
from functools import partial
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, KafkaMessage, TestKafkaBroker

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.handlers import register_handlers
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.staff.commanded import apply_staff_command
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_shared import topics
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.report_events import ReportRouted, ReportUnroutable
from stadtmelder_shared.work_item_events import WorkItemSendFailed
from tests.command_fakes import Loopback
from tests.data_key_fakes import InMemoryDataKeys
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository, InMemoryStaffRoster

DUISBURG = load_jurisdiction()
DIRECTORY = load_directory()
ROADS_UPDATES = topics.department_updates("wbd-strasse")


class System:
    """With `commands`, department updates travel to the report's owner as commands (two
    replicas' worth, in memory), which must change nothing a department system notices."""

    def __init__(self, commands: Loopback | None = None) -> None:
        self.reports = InMemoryReportRepository()
        self.audit = InMemoryAuditLog()
        self.service = ReportService(
            self.reports, DUISBURG, directory=DIRECTORY, data_keys=InMemoryDataKeys()
        )
        asker = commands.asker if commands else None
        self.work = WorkService(
            self.reports,
            self.audit,
            InMemoryStaffRoster(),
            DIRECTORY,
            DUISBURG.code,
            commands=asker,
        )
        if commands is not None:
            applied = partial(apply_staff_command, self.work)
            commands.owner.applies("department-update", applied)
        self.broker = KafkaBroker()
        register_handlers(self.broker, self.service, self.work, "reports")
        self.dead_letters: list[tuple[dict[str, Any], dict[str, str]]] = []

        @self.broker.subscriber(topics.dead_letter(ROADS_UPDATES), group_id="spy")
        async def spy(message: KafkaMessage) -> None:
            try:
                body = json.loads(message.body)
            except ValueError:
                body = {"raw": message.body.decode(errors="replace")}
            self.dead_letters.append((body, dict(message.headers)))

    async def a_report(self, department: str | None = None) -> str:
        new = await self.service.submit_report(
            Submission("street_light_out", "Laterne dunkel", Location(lat=51.43, lon=6.76))
        )
        if department:
            await self.service.record_routing(
                ReportRouted(
                    report_id=new.report.id,
                    jurisdiction="duisburg",
                    category=new.report.category,
                    department=DIRECTORY.get(department).ref(),  # type: ignore[union-attr]
                    rule="test",
                    caused_by=new.report.pending_events[0][1].event_id,
                )
            )
        return new.report.id


@pytest.fixture(params=["in place", "as commands"])
def commands(request: pytest.FixtureRequest) -> Loopback | None:
    return Loopback(wait_seconds=5.0) if request.param == "as commands" else None


def an_update(report_id: str, event_id: str = "dept-event-1", **fields: Any) -> dict[str, Any]:
    return {"event_id": event_id, "report_id": report_id, "to": "acknowledged", **fields}


async def test_an_unroutable_report_waits_in_triage_once() -> None:
    system = System()
    report_id = await system.a_report()
    report = system.reports.reports[report_id]
    event = ReportUnroutable(
        report_id=report_id,
        jurisdiction="duisburg",
        category=report.category,
        department=DIRECTORY.triage.ref(),
        reason="no rule for this place",
        caused_by=report.pending_events[0][1].event_id,
    )

    async with TestKafkaBroker(system.broker) as broker:
        for _ in range(2):
            await broker.publish(event.model_dump(mode="json"), topics.REPORTS_UNROUTABLE)

    stored = system.reports.reports[report_id]
    assert stored.status == "triage"
    assert stored.department == DIRECTORY.triage.ref()
    assert [c.status for c in stored.history] == ["submitted", "triage"]
    assert stored.due_at is not None


async def test_a_department_system_moves_its_report_once_even_when_redelivered(
    commands: Loopback | None,
) -> None:
    system = System(commands)
    report_id = await system.a_report("wbd-strasse")

    async with TestKafkaBroker(system.broker) as broker:
        update = an_update(report_id, public_comment="Wir sind dran.")
        await broker.publish(update, ROADS_UPDATES)
        await broker.publish(update, ROADS_UPDATES)
        await broker.publish(an_update(report_id, "dept-event-2", to="in_progress"), ROADS_UPDATES)

    stored = system.reports.reports[report_id]
    assert stored.status == "in_progress"
    assert [c.status for c in stored.history][-2:] == ["acknowledged", "in_progress"]
    assert stored.history[-2].public_comment == "Wir sind dran."
    assert stored.history[-2].actor.model_dump() == {  # type: ignore[union-attr]
        "role": "department_system",
        "user_id": None,
        "department_id": "wbd-strasse",
    }
    changed = [e for t, e in stored.pending_events if t == topics.REPORTS_STATUS_CHANGED]
    assert len(changed) == 2
    assert system.dead_letters == []
    assert [e.action for e in system.audit.entries.values()] == ["transition", "transition"]
    if commands is not None:  # the report's owner wrote it, each update sent as one command
        assert [c.action.kind for c in commands.held] == ["department-update"] * 3
        assert len({c.event_id for c in commands.held}) == 2


async def test_a_department_can_forward_its_report_and_then_no_longer_change_it(
    commands: Loopback | None,
) -> None:
    system = System(commands)
    report_id = await system.a_report("wbd-strasse")

    async with TestKafkaBroker(system.broker) as broker:
        forward = an_update(report_id, to="forwarded", forward_to="wbd-gruen", reason="Park")
        await broker.publish(forward, ROADS_UPDATES)
        await broker.publish(forward, ROADS_UPDATES)  # redelivered: seen before, not refused
        await broker.publish(an_update(report_id, "dept-event-9"), ROADS_UPDATES)

    stored = system.reports.reports[report_id]
    assert (stored.status, stored.department.id) == ("routed", "wbd-gruen")  # type: ignore[union-attr]
    assert [c.status for c in stored.history][-2:] == ["forwarded", "routed"]
    [(body, headers)] = system.dead_letters
    assert body["event_id"] == "dept-event-9"
    assert "'wbd-strasse' may only change its own reports" in headers["dlq_reason"]
    assert headers["dlq_topic"] == ROADS_UPDATES


async def test_invalid_updates_go_to_the_dead_letter_topic_with_the_reason_and_others_go_on(
    commands: Loopback | None,
) -> None:
    system = System(commands)
    report_id = await system.a_report("wbd-strasse")
    elsewhere = await system.a_report("wbd-gruen")
    async with TestKafkaBroker(system.broker) as broker:
        await broker.publish(b"\x00not json", ROADS_UPDATES)
        await broker.publish({"report_id": report_id}, ROADS_UPDATES)
        await broker.publish(an_update(report_id, "e1", to="resolved"), ROADS_UPDATES)
        await broker.publish(an_update(report_id, "e2", to="rejected"), ROADS_UPDATES)
        await broker.publish(an_update(elsewhere, "e3"), ROADS_UPDATES)
        await broker.publish(an_update("NOPE0-00000", "e4"), ROADS_UPDATES)
        await broker.publish(an_update(report_id, "e5"), topics.department_updates("atlantis"))
        await broker.publish(an_update(report_id, "e6"), ROADS_UPDATES)

    reasons = [headers["dlq_reason"] for _, headers in system.dead_letters]
    assert len(reasons) == 6, reasons
    assert "not JSON" in reasons[0]
    assert "event_id" in reasons[1]
    assert "can only go to: acknowledged" in reasons[2]
    assert "reason" in reasons[3]
    assert "only change its own reports" in reasons[4]
    assert "NOPE0-00000" in reasons[5]
    assert system.reports.reports[report_id].status == "acknowledged"
    assert system.reports.reports[elsewhere].status == "routed"


async def test_dead_letters_are_not_read_back_as_updates(commands: Loopback | None) -> None:
    system = System(commands)
    report_id = await system.a_report("wbd-strasse")

    async with TestKafkaBroker(system.broker) as broker:
        await broker.publish(an_update(report_id), topics.dead_letter(ROADS_UPDATES))

    assert system.reports.reports[report_id].status == "routed"


async def test_a_send_that_keeps_failing_is_noted_for_the_staff_once() -> None:
    system = System()
    report_id = await system.a_report("wbd-strasse")
    failure = WorkItemSendFailed(
        report_id=report_id,
        jurisdiction="duisburg",
        department=DIRECTORY.get("wbd-strasse").ref(),  # type: ignore[union-attr]
        method="webhook",
        attempts=5,
        error="HTTP 503",
    )

    async with TestKafkaBroker(system.broker) as broker:
        for _ in range(2):
            await broker.publish(failure.model_dump(mode="json"), topics.WORK_ITEMS_SEND_FAILED)

    [note] = system.reports.reports[report_id].comments
    assert note.visibility == "internal"
    assert "webhook" in note.text
    assert "5 Versuchen" in note.text


async def test_a_routed_event_about_a_report_never_stored_here_is_logged_and_acknowledged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    system = System()
    report_id = await system.a_report()
    report = system.reports.reports[report_id]
    routed = ReportRouted(
        report_id="NEVER-00001",
        jurisdiction="duisburg",
        category=report.category,
        department=DIRECTORY.get("wbd-strasse").ref(),  # type: ignore[union-attr]
        rule="test",
        caused_by="submitted-1",
    )
    caplog.set_level(logging.INFO, "stadtmelder_reports.core.handlers")

    async with TestKafkaBroker(system.broker) as broker:
        await broker.publish(routed.model_dump(mode="json"), topics.REPORTS_ROUTED)
        await broker.publish(
            routed.model_copy(update={"report_id": report_id}).model_dump(mode="json"),
            topics.REPORTS_ROUTED,
        )

    said = [(r.getMessage(), getattr(r, "report_id", None)) for r in caplog.records]
    assert said == [
        ("routed event for an unknown report ignored", "NEVER-00001"),
        ("report routed", report_id),
    ]
    assert system.reports.reports[report_id].status == "routed"
