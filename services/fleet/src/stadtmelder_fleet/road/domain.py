"""Road condition as rules without I/O: readings become passes over road pieces, passes become
evidence, evidence becomes a decision to report, confirm or clear damage."""

import math
import statistics
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

import h3

from stadtmelder_shared.road_damage import RoadEvidence
from stadtmelder_shared.sensor_readings import RoadRoughnessReading

# A vehicle's readings in one piece belong to one pass unless this far apart: a truck that
# stops and drives on is one pass, one that comes back after its round is another.
SAME_PASS_S = 120.0
# The newest passes a piece keeps: a side street sees a truck every week or so, a main road
# may see two dozen passes within the window, and the newest of them tell its state; the
# memory stays bounded (10,000 full pieces: about 37 MB).
KEPT_PASSES = 24


class Condition(StrEnum):
    """Condition classes of a piece, from the median roughness of its passes (IRI, m/km)."""

    GOOD = "good"
    FAIR = "fair"
    POOR = "poor"
    VERY_POOR = "very_poor"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class RoadRules:
    """The limits, each named as its setting without the `road_` prefix (FleetSettings)."""

    # Enough evidence: this many passes by this many vehicles within the window; median
    # roughness (IRI, m/km) from which a piece is damaged, and below which it is repaired.
    window_days: int = 14
    min_passes: int = 3
    min_vehicles: int = 2
    damage_iri: float = 6.0
    clear_iri: float = 4.0

    @property
    def window(self) -> timedelta:
        return timedelta(days=self.window_days)

    # Matching: how slow a reading may be and still count, and how large a piece is.
    min_speed_kmh: float = 15.0
    cell_resolution: int = 12


# Slots and times as POSIX seconds (a float, not a 48-byte datetime): 10,000 pieces of up to
# KEPT_PASSES passes each must fit well under 150 MB beside the service's libraries.
@dataclass(slots=True)
class Pass:
    vehicle_id: str
    first_s: float
    last_s: float
    roughness_sum: float
    readings: int = 1

    @property
    def first_at(self) -> datetime:
        return datetime.fromtimestamp(self.first_s, UTC)

    @property
    def last_at(self) -> datetime:
        return datetime.fromtimestamp(self.last_s, UTC)

    @property
    def roughness(self) -> float:
        """One figure per pass, the mean of its seconds, so a truck that crawls over a piece
        weighs no more than one that crosses it in a second."""
        return self.roughness_sum / self.readings


@dataclass(slots=True)
class Piece:
    """One road piece and what it remembers: recent passes and whether it stands reported."""

    id: str
    lat: float
    lon: float
    # A list trimmed by hand, not a deque: a deque's first block alone takes 600 bytes, 6 MB
    # over 10,000 pieces.
    passes: list[Pass] = field(default_factory=list)
    """The newest passes, oldest first."""
    finding_id: str | None = None
    """Set while damage is reported, with the detection's event id and how many passes it
    had when last published."""
    detected_event_id: str | None = None
    reported_passes: int = 0
    ignore_before_s: float = 0.0
    """Readings measured before this (POSIX seconds) are the damage a repair cleared, read
    again after a restart: they must not count a second time."""
    announced: str = field(default="", compare=False)
    """What was last announced to the maps (condition class, `*` if reported) and when, in
    POSIX seconds; not stored: after a restart each piece is announced on its first save."""
    announced_s: float = field(default=0.0, compare=False)


@dataclass(frozen=True)
class Detected:
    """Damage on enough passes by enough vehicles: to be reported."""

    evidence: RoadEvidence
    condition: Condition


class Confirmed(Detected):
    """Damage reported before, seen on more passes since."""


@dataclass(frozen=True)
class Cleared:
    evidence: RoadEvidence
    finding_id: str
    detected_event_id: str


Decision = Detected | Confirmed | Cleared | None


def piece_of(lat: float, lon: float, resolution: int) -> tuple[str, float, float]:
    """The piece a position falls in (an H3 cell, about 20 m across at 12) and its centre."""
    cell = h3.latlng_to_cell(lat, lon, resolution)
    centre_lat, centre_lon = h3.cell_to_latlng(cell)
    return cell, centre_lat, centre_lon


def counts(reading: RoadRoughnessReading, rules: RoadRules) -> bool:
    """Below walking pace the suspension barely moves: such readings say little about a road."""
    return reading.speed_kmh >= rules.min_speed_kmh


def add_reading(piece: Piece, reading: RoadRoughnessReading) -> bool:
    """Adds the reading to its vehicle's latest pass over the piece, or starts a new pass; the
    oldest pass leaves when the piece keeps `KEPT_PASSES`. False for a reading counted before:
    a vehicle's readings come in order (one partition per vehicle), so one within a pass's
    span is one read again after a restart or a failed batch."""
    at, vehicle = reading.measured_at.timestamp(), reading.vehicle_id
    if at < piece.ignore_before_s:
        return False
    latest = None
    for kept in reversed(piece.passes):
        if kept.vehicle_id == vehicle:
            if kept.first_s <= at <= kept.last_s:
                return False
            latest = latest or kept
    if latest is not None and latest.first_s - SAME_PASS_S <= at <= latest.last_s + SAME_PASS_S:
        latest.first_s, latest.last_s = min(latest.first_s, at), max(latest.last_s, at)
        latest.roughness_sum += reading.roughness
        latest.readings += 1
        return True
    # Interned: a hundred trucks' ids are held once, not once per pass.
    piece.passes.append(Pass(sys.intern(vehicle), at, at, reading.roughness))
    if len(piece.passes) > KEPT_PASSES:
        del piece.passes[0]
    return True


def evidence_of(passes: list[Pass], window: timedelta) -> RoadEvidence:
    figures = sorted(p.roughness for p in passes)
    return RoadEvidence(
        passes=len(passes),
        vehicles=len({p.vehicle_id for p in passes}),
        median_iri=round(statistics.median(figures), 2) if figures else 0.0,
        p90_iri=round(percentile(figures, 0.9), 2) if figures else 0.0,
        first_pass_at=datetime.fromtimestamp(min(p.first_s for p in passes), UTC),
        last_pass_at=datetime.fromtimestamp(max(p.last_s for p in passes), UTC),
        window_days=max(1, window.days),
    )


def percentile(ordered: list[float], share: float) -> float:
    """Nearest-rank percentile of an ordered list: a value some pass really measured."""
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def in_window(piece: Piece, now: datetime, window: timedelta) -> list[Pass]:
    since = (now - window).timestamp()
    return [p for p in piece.passes if p.last_s >= since]


def condition_of(evidence: RoadEvidence | None, rules: RoadRules) -> Condition:
    if evidence is None or evidence.passes == 0:
        return Condition.UNKNOWN
    median = evidence.median_iri
    if median >= rules.damage_iri * 5 / 3:  # 10 m/km at the default limit: potholes
        return Condition.VERY_POOR
    if median >= rules.damage_iri:
        return Condition.POOR
    if median >= rules.clear_iri * 3 / 4:  # 3 m/km at the default: worn surface
        return Condition.FAIR
    return Condition.GOOD


def enough(evidence: RoadEvidence, rules: RoadRules) -> bool:
    return evidence.passes >= rules.min_passes and evidence.vehicles >= rules.min_vehicles


def latest_passes(passes: list[Pass], rules: RoadRules) -> list[Pass]:
    """The newest passes that are enough evidence on their own: after a repair, only these
    tell, while the window still holds the rough passes from before it."""
    newest = sorted(passes, key=lambda p: p.last_s, reverse=True)
    for size in range(rules.min_passes, len(newest) + 1):
        if len({p.vehicle_id for p in newest[:size]}) >= rules.min_vehicles:
            return newest[:size]
    return []


def damage_of(recent: list[Pass], rules: RoadRules) -> RoadEvidence | None:
    """The evidence of damage, if enough passes show it: the window's passes, or on a road
    that was smooth before, the passes since it stopped being smooth. A street the trucks drove
    smooth a dozen times this fortnight must report its new pothole on the required passes,
    not once the rough ones outnumber the smooth."""
    evidence = evidence_of(recent, rules.window)
    if enough(evidence, rules) and evidence.median_iri >= rules.damage_iri:
        return evidence
    newest = sorted(recent, key=lambda p: p.last_s, reverse=True)
    last_smooth = next((n for n, p in enumerate(newest) if p.roughness < rules.clear_iri), None)
    if last_smooth is None or last_smooth < rules.min_passes:
        return None  # all rough, already judged above; or too few rough passes since
    evidence = evidence_of(newest[:last_smooth], rules.window)
    return evidence if enough(evidence, rules) and evidence.median_iri >= rules.damage_iri else None


def decide(piece: Piece, now: datetime, rules: RoadRules) -> Decision:
    """What the piece's passes call for now: report damage, confirm it with more passes, clear
    it after a repair, or nothing."""
    recent = in_window(piece, now, rules.window)
    if not recent or (piece.finding_id is None and len(recent) < rules.min_passes):
        return None
    if piece.finding_id is None and all(p.roughness < rules.damage_iri for p in recent):
        return None  # a median is never above the highest pass: no damage, nothing to weigh
    damage = damage_of(recent, rules)
    if piece.finding_id is None:
        return None if damage is None else Detected(damage, condition_of(damage, rules))
    evidence = damage or evidence_of(recent, rules.window)
    latest = latest_passes(recent, rules)
    if latest:
        newest = evidence_of(latest, rules.window)
        # All of them smooth, not most: at a patch's edge some passes miss the damage, and
        # two of three that did must not close the report while it is still there.
        if newest.p90_iri < rules.clear_iri:
            return Cleared(newest, piece.finding_id, piece.detected_event_id or "")
    if evidence.passes > piece.reported_passes:
        return Confirmed(evidence, condition_of(evidence, rules))
    return None


def finding_id(piece_id: str, detected_at: datetime) -> str:
    """One finding per episode of damage on a piece: the key of its events on Kafka."""
    return f"road-{piece_id}-{int(detected_at.timestamp())}"


def mark_detected(piece: Piece, finding: str, event_id: str, evidence: RoadEvidence) -> None:
    piece.finding_id, piece.detected_event_id = finding, event_id
    piece.reported_passes = evidence.passes


def mark_cleared(piece: Piece, evidence: RoadEvidence) -> None:
    """The passes before the repair are forgotten: they must not report the piece again."""
    piece.finding_id, piece.detected_event_id, piece.reported_passes = None, None, 0
    since = evidence.first_pass_at.timestamp()
    kept = [p for p in piece.passes if p.last_s >= since]
    piece.passes[:] = kept
    piece.ignore_before_s = since
