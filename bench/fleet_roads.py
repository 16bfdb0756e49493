"""Road damage found on the simulator's seeded truth: defects reported, smooth road never.

The fleet service's road condition (RoadService, its rules as configured by default) runs in
process on the trucks' readings, one round a day per truck; its findings become reports the
way reports treats them: a finding within 30 m of one already reported adds evidence to it.
"""

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from stadtmelder_fleet.road.domain import Piece, RoadRules
from stadtmelder_fleet.road.findings import Finding
from stadtmelder_fleet.road.service import RoadService
from stadtmelder_fleet.simulator.city import Metres
from stadtmelder_fleet.simulator.readings import road_reading
from stadtmelder_fleet.simulator.world import World, fleet_rounds, spot_distance_m
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.road_damage import RoadDamageCleared, RoadDamageDetected

START = datetime(2026, 1, 5, 7, tzinfo=UTC)  # a Monday, when the first shift sets out
DAY_S = 86_400.0
MERGE_M = 30.0
# A report this close to a seeded defect found it: the defect's patch (15 m) plus a piece's
# half width (about 12 m) plus the GPS error; further from every defect it is on smooth road.
MATCH_M = 40.0


@dataclass(frozen=True)
class RoadOutcome:
    days: int
    readings: int
    spots: int
    found: int
    reports: int
    on_smooth_road: int
    readings_per_second: float
    cleared: int
    findings: int
    """Distinct findings: more than the reports means a damage became several findings."""
    """Findings cleared although the simulator repairs nothing: cleared too early."""

    @property
    def second_reports(self) -> int:
        """Reports at a defect that already had one: further than 30 m from it, on its patch."""
        return self.reports - self.on_smooth_road - self.found

    @property
    def found_percent(self) -> float:
        return 100.0 * self.found / self.spots if self.spots else 0.0


class KeptInMemory:
    """No store: the bench gives the service room for every piece, so none is ever evicted."""

    async def load(self, piece_id: str) -> Piece | None:
        return None

    async def save(self, pieces: list[Piece]) -> None:
        return None

    async def all_pieces(self, limit: int) -> list[Piece]:
        return []

    async def load_many(self, piece_ids: Sequence[str]) -> list[Piece]:
        return []

    async def open_findings(self) -> list[Finding]:
        return []

    async def save_finding(self, finding: Finding) -> None:
        return None

    async def drop_finding(self, finding_id: str) -> None:
        return None


class Findings:
    """The detections the service publishes, in order."""

    def __init__(self) -> None:
        self.detected: list[RoadDamageDetected] = []
        self.cleared: list[RoadDamageCleared] = []

    async def publish(self, topic: str, event: Event) -> None:
        if isinstance(event, RoadDamageDetected):
            self.detected.append(event)
        elif isinstance(event, RoadDamageCleared):
            self.cleared.append(event)


def as_reports(world: World, detected: list[RoadDamageDetected]) -> list[Metres]:
    """Where reports stand: one per finding (at its first detection), unless one already
    stands within `MERGE_M`."""
    reports: list[Metres] = []
    first = {event.report_id: event for event in reversed(detected)}
    for event in sorted(first.values(), key=lambda e: e.occurred_at):
        at = world.projection.to_metres(event.location.lon, event.location.lat)
        if all(_distance(at, other) > MERGE_M for other in reports):
            reports.append(at)
    return reports


def _distance(a: Metres, b: Metres) -> float:
    return float(((a[0] - b[0]) ** 2 + (a[1] - b[1]) ** 2) ** 0.5)


async def evaluate_roads(world: World, days: int) -> RoadOutcome:
    now = [START]
    findings = Findings()
    service = RoadService(
        KeptInMemory(), findings, RoadRules(), "duisburg", lambda: now[0], max_pieces=10**7
    )
    readings = 0
    began = time.perf_counter()
    for sample in fleet_rounds(world, range(days), round_every_s=DAY_S):
        reading = road_reading(sample, world.projection, START)
        now[0] = reading.measured_at
        await service.record(reading)
        readings += 1
    elapsed = time.perf_counter() - began
    reports = as_reports(world, findings.detected)
    found = [s for s in world.spots if any(_distance(s.at, r) <= MATCH_M for r in reports)]
    return RoadOutcome(
        days=days,
        readings=readings,
        spots=len(world.spots),
        found=len(found),
        reports=len(reports),
        on_smooth_road=sum(1 for r in reports if spot_distance_m(world, r) > MATCH_M),
        readings_per_second=readings / elapsed if elapsed else 0.0,
        cleared=len(findings.cleared),
        findings=len({event.report_id for event in findings.detected}),
    )
