"""Wires automatic reports into the reports service: the store and the consumer of the fleet's
findings on `fleet.road-damage`."""

import logging
from functools import partial
from typing import Any

from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.handlers import AGAIN
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.sensor_reports.commanded import SYSTEM_ACTIONS, apply_system_command
from stadtmelder_reports.sensor_reports.service import SensorReports
from stadtmelder_reports.sensor_reports.store import FindingStore, MongoFindingStore
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared import topics
from stadtmelder_shared.consumers import RetryPolicy
from stadtmelder_shared.kafka import consumer
from stadtmelder_shared.road_damage import RoadDamageCleared, RoadDamageDetected

log = logging.getLogger(__name__)


def register(
    broker: KafkaBroker,
    database: AsyncDatabase[dict[str, Any]],
    reports: ReportService,
    work: WorkService,
    group_id: str,
    store: FindingStore | None = None,
    commands: Commands | None = None,
) -> SensorReports:
    # In the city's language, as its staff write: the texts are stored with the report.
    t = Words("de")
    findings = store or MongoFindingStore(database)
    sensor_reports = SensorReports(findings, reports, work, t, commands)
    if commands is not None:
        for kind in SYSTEM_ACTIONS:
            commands.applies(kind, partial(apply_system_command, work))

    # Findings are keyed by finding, not report: the notes and steps they cause travel as
    # commands to the report's owner, and one it has not answered yet is taken again.
    @consumer(broker, topics.ROAD_DAMAGE, group_id, policy=RetryPolicy(retried=AGAIN))
    async def on_road_damage(event: RoadDamageDetected | RoadDamageCleared) -> None:
        if isinstance(event, RoadDamageDetected):
            outcome = await sensor_reports.take_detection(event)
        else:
            outcome = await sensor_reports.take_clearing(event)
        log.info("road damage finding %s", outcome, extra={"event_id": event.event_id})

    return sensor_reports
