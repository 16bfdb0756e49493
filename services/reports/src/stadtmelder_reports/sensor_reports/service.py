"""Reports' use cases for the fleet's findings: an automatic report, or evidence on a citizen's
report nearby; and closing the automatic report once the piece measures smooth again."""

import contextlib
from typing import Literal

from babel.numbers import format_decimal
from pymongo.errors import DuplicateKeyError

from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.domain import new_report_id
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import ReportNotFound
from stadtmelder_reports.sensor_reports.commanded import SystemWrites
from stadtmelder_reports.sensor_reports.domain import (
    SAME_DAMAGE_RADIUS_M,
    Finding,
    automatic_submission,
    steps_to_resolved,
)
from stadtmelder_reports.sensor_reports.store import FindingStore
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.road_damage import RoadDamageCleared, RoadDamageDetected, RoadEvidence

Outcome = Literal["reported", "attached", "updated", "closed", "ignored"]


class SensorReports:
    def __init__(
        self,
        store: FindingStore,
        reports: ReportService,
        work: WorkService,
        t: Words,
        commands: Commands | None = None,
    ) -> None:
        self._store, self._reports = store, reports
        # Notes and steps on existing reports are their owner's to write (`commanded`).
        self._work = SystemWrites(work, commands)
        # In the jurisdiction's language: what staff and the public read on the report.
        self._t = t

    async def take_detection(self, event: RoadDamageDetected) -> Outcome:
        finding = await self._store.get(event.report_id)
        known = finding is not None
        if finding is None:
            finding = await self._placed(event)
        else:
            finding.evidence = event.evidence
        await self._store.put(finding)
        t = self._t
        if not finding.own:
            # Once per finding: the citizen's report says how many passes confirmed it.
            note_id = derived_event_id(finding.id, "sensor-evidence")
            text = t("sensor_confirmed", **_figures(event.evidence, t.language))
            await self._work.note(finding.report_id, note_id, "public", text)
            return "updated" if known else "attached"
        if not finding.submitted:
            await self._submit(finding, event)
            return "reported"
        return "updated"

    async def take_clearing(self, event: RoadDamageCleared) -> Outcome:
        finding = await self._store.get(event.report_id)
        if finding is None or finding.cleared_at is not None:
            return "ignored"
        if finding.own:
            await self._resolve(finding.report_id, event)
        else:
            note_id = derived_event_id(event.event_id, "sensor-smooth-again")
            t = self._t
            text = t("sensor_smooth_again", **_figures(event.evidence, t.language))
            await self._work.note(finding.report_id, note_id, "internal", text)
        finding.cleared_at = event.occurred_at
        await self._store.put(finding)
        return "closed"

    async def _placed(self, event: RoadDamageDetected) -> Finding:
        nearby = await self._reports.open_reports_nearby(
            event.category_code, event.location, SAME_DAMAGE_RADIUS_M
        )
        if nearby:
            report, _distance = nearby[0]
            return Finding(event.report_id, report.id, own=False, evidence=event.evidence)
        # The id is chosen and kept before the report is stored: a redelivery finds it.
        return Finding(event.report_id, new_report_id(), own=True, evidence=event.evidence)

    async def _submit(self, finding: Finding, event: RoadDamageDetected) -> None:
        t = self._t
        description = t("sensor_report_description", **_figures(event.evidence, t.language))
        # Stored before a crash kept us from noting it: the report is there.
        with contextlib.suppress(DuplicateKeyError):
            await self._reports.submit_report(
                automatic_submission(event, description), report_id=finding.report_id
            )
        finding.submitted = True
        await self._store.put(finding)

    async def _resolve(self, report_id: str, event: RoadDamageCleared) -> None:
        try:
            status = (await self._reports.public_report(report_id)).status
        except ReportNotFound:
            return  # hidden by staff: they decide about it
        t, steps = self._t, steps_to_resolved(status)
        for step in steps:
            last = step == steps[-1]
            comment = t("sensor_repaired", **_figures(event.evidence, t.language)) if last else None
            await self._work.step(report_id, step, event.event_id, comment)


def _figures(evidence: RoadEvidence, language: str) -> dict[str, object]:
    return {
        "passes": evidence.passes,
        "vehicles": evidence.vehicles,
        "median": format_decimal(evidence.median_iri, format="0.0", locale=language),
    }
