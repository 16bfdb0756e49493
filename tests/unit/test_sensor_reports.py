"""Automatic reports in the reports service: a finding of the fleet becomes one report routed
like any other, or evidence on a citizen's report within 30 m; a repaired piece closes its
automatic report, never a citizen's."""

from datetime import UTC, datetime, timedelta
from functools import partial

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.sensor_reports import register
from stadtmelder_reports.sensor_reports.commanded import SYSTEM_ACTIONS, apply_system_command
from stadtmelder_reports.sensor_reports.service import SensorReports
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared import topics
from stadtmelder_shared.cloudevents import headers_for
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.report_events import ReportRouted, ReportSubmitted
from stadtmelder_shared.road_damage import RoadDamageCleared, RoadDamageDetected, RoadEvidence
from tests.command_fakes import Loopback
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import valid_answers
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository, InMemoryStaffRoster
from tests.fleet_fakes import InMemoryFindingStore

DUISBURG = load_jurisdiction()
DIRECTORY = load_directory()
AT = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
PIECE = Location(lat=51.434425, lon=6.762265)
# About 20 m north of the piece's centre, and about 60 m north.
CLOSE_BY = Location(lat=51.434605, lon=6.762265)
FURTHER = Location(lat=51.434965, lon=6.762265)


@pytest.fixture(params=["in place", "as commands"])
def commands(request: pytest.FixtureRequest) -> Loopback | None:
    return Loopback(wait_seconds=5.0) if request.param == "as commands" else None


def evidence(passes: int, median: float = 8.4) -> RoadEvidence:
    return RoadEvidence(
        passes=passes,
        vehicles=2,
        median_iri=median,
        p90_iri=median + 2,
        first_pass_at=AT - timedelta(days=2),
        last_pass_at=AT,
        window_days=14,
    )


def detected(passes: int = 3, finding: str = "road-8c1fa5310955bff-1") -> RoadDamageDetected:
    return RoadDamageDetected(
        report_id=finding,
        jurisdiction="duisburg",
        piece_id="8c1fa5310955bff",
        location=PIECE,
        condition="poor",
        evidence=evidence(passes),
    )


def cleared(of: RoadDamageDetected) -> RoadDamageCleared:
    return RoadDamageCleared(
        report_id=of.report_id,
        jurisdiction="duisburg",
        caused_by=of.event_id,
        piece_id=of.piece_id,
        location=of.location,
        evidence=evidence(3, median=1.6),
    )


class Reports:
    """With `commands`, the notes and steps on existing reports travel to the report's owner as
    commands (two replicas' worth, in memory), which must change nothing anyone notices."""

    def __init__(self, commands: Loopback | None = None) -> None:
        self.repository = InMemoryReportRepository()
        self.service = ReportService(
            self.repository, DUISBURG, directory=DIRECTORY, data_keys=InMemoryDataKeys()
        )
        self.work = WorkService(
            self.repository, InMemoryAuditLog(), InMemoryStaffRoster(), DIRECTORY, DUISBURG.code
        )
        self.findings = InMemoryFindingStore()
        asker = commands.asker if commands else None
        self.sensors = SensorReports(self.findings, self.service, self.work, Words("de"), asker)
        if commands is not None:
            for kind in SYSTEM_ACTIONS:
                commands.owner.applies(kind, partial(apply_system_command, self.work))

    async def citizen_report(self, where: Location, category: str = "road_damage") -> str:
        submission = Submission(
            category,
            "Tiefes Schlagloch",
            where,
            answers=valid_answers(DUISBURG.category(category)),
        )
        return (await self.service.submit_report(submission)).report.id

    async def route(self, report_id: str) -> None:
        report = self.repository.reports[report_id]
        submitted = next(e for _, e in report.pending_events if isinstance(e, ReportSubmitted))
        await self.service.record_routing(
            ReportRouted(
                report_id=report_id,
                jurisdiction="duisburg",
                category=report.category,
                department=DIRECTORY.get("wbd-strasse").ref(),  # type: ignore[union-attr]
                rule="test",
                caused_by=submitted.event_id,
            )
        )

    def automatic(self) -> list[str]:
        return [r.id for r in self.repository.reports.values() if r.client_id == "sensor"]


async def test_a_finding_becomes_one_automatic_report_that_is_announced_for_routing(
    commands: Loopback | None,
) -> None:
    reports = Reports(commands)
    first = detected()

    assert await reports.sensors.take_detection(first) == "reported"
    assert await reports.sensors.take_detection(first) == "updated"  # redelivered
    assert await reports.sensors.take_detection(detected(passes=5)) == "updated"

    [report_id] = reports.automatic()
    report = reports.repository.reports[report_id]
    assert report.category.code == "road_damage"
    assert report.reporter is None
    assert report.location == PIECE
    assert "3 Fahrten von 2 Fahrzeugen" in report.description
    assert "Median 8,4 m/km" in report.description
    assert report.answers["size"] == "medium"
    announced = [t for t, e in report.pending_events if isinstance(e, ReportSubmitted)]
    assert announced == [topics.REPORTS_SUBMITTED]
    assert reports.findings.findings[first.report_id].evidence.passes == 5


async def test_a_citizen_report_within_30_m_gets_the_evidence_instead_of_a_second_report(
    commands: Loopback | None,
) -> None:
    reports = Reports(commands)
    citizen = await reports.citizen_report(CLOSE_BY)

    assert await reports.sensors.take_detection(detected(passes=5)) == "attached"
    assert await reports.sensors.take_detection(detected(passes=6)) == "updated"

    assert reports.automatic() == []
    comments = reports.repository.reports[citizen].comments
    assert [c.visibility for c in comments] == ["public"]
    assert comments[0].text.startswith("Von Sensoren an den Fahrzeugen")
    assert "5 Fahrten von 2 Fahrzeugen" in comments[0].text


async def test_a_citizen_report_60_m_away_or_of_another_category_gets_no_evidence(
    commands: Loopback | None,
) -> None:
    reports = Reports(commands)
    further = await reports.citizen_report(FURTHER)
    light = await reports.citizen_report(CLOSE_BY, category="street_light_out")

    assert await reports.sensors.take_detection(detected()) == "reported"

    assert len(reports.automatic()) == 1
    assert reports.repository.reports[further].comments == []
    assert reports.repository.reports[light].comments == []


async def test_a_repaired_piece_resolves_its_automatic_report_with_a_public_comment(
    commands: Loopback | None,
) -> None:
    reports = Reports(commands)
    found = detected()
    await reports.sensors.take_detection(found)
    [report_id] = reports.automatic()
    await reports.route(report_id)

    assert await reports.sensors.take_clearing(cleared(found)) == "closed"
    assert await reports.sensors.take_clearing(cleared(found)) == "ignored"

    report = reports.repository.reports[report_id]
    assert report.status == "resolved"
    if commands is not None:  # the report's owner took each step, once
        steps = [c.action for c in commands.held]
        assert [(s.kind, getattr(s, "to", None)) for s in steps] == [
            ("system-step", "acknowledged"),
            ("system-step", "in_progress"),
            ("system-step", "resolved"),
        ]
    assert [c.status for c in report.history][-3:] == ["acknowledged", "in_progress", "resolved"]
    assert report.history[-1].public_comment is not None
    assert "wieder als eben" in report.history[-1].public_comment


async def test_a_repaired_piece_leaves_the_citizens_report_open_with_a_note_for_staff(
    commands: Loopback | None,
) -> None:
    reports = Reports(commands)
    citizen = await reports.citizen_report(CLOSE_BY)
    await reports.route(citizen)
    found = detected()
    await reports.sensors.take_detection(found)

    assert await reports.sensors.take_clearing(cleared(found)) == "closed"

    report = reports.repository.reports[citizen]
    assert report.status == "routed"
    assert [c.visibility for c in report.comments] == ["public", "internal"]
    if commands is not None:  # written by the report's owner
        assert [c.action.kind for c in commands.held] == ["system-note", "system-note"]


async def test_the_consumer_takes_both_kinds_of_finding_from_the_topic(
    commands: Loopback | None,
) -> None:
    reports = Reports(commands)
    broker = KafkaBroker()
    register(broker, None, reports.service, reports.work, "reports", store=reports.findings)  # type: ignore[arg-type]
    found = detected()
    async with TestKafkaBroker(broker) as test_broker:
        for event in (found, cleared(found)):
            body = event.model_dump(mode="json")
            await test_broker.publish(body, topics.ROAD_DAMAGE, headers=headers_for(event, "/t"))

    [report_id] = reports.automatic()
    assert reports.findings.findings[found.report_id].cleared_at is not None
    assert reports.repository.reports[report_id].status == "submitted"  # no department yet
