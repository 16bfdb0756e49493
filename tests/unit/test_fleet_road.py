"""Road condition: readings matched to pieces, aggregated over the window, and the thresholds
that make a piece one automatic report, confirm it, and clear it after a repair (fake clock)."""

from datetime import UTC, datetime, timedelta

import pytest

from stadtmelder_fleet.road.domain import (
    Condition,
    Piece,
    RoadRules,
    add_reading,
    condition_of,
    evidence_of,
    in_window,
    piece_of,
)
from stadtmelder_fleet.road.register import rules_from
from stadtmelder_fleet.road.service import RoadService
from stadtmelder_fleet.settings import FleetSettings
from stadtmelder_shared import topics
from stadtmelder_shared.road_damage import RoadDamageCleared, RoadDamageDetected
from stadtmelder_shared.sensor_readings import RoadRoughnessReading
from tests.fakes import RecordingPublisher
from tests.fleet_fakes import InMemoryPieceStore

START = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
# The centre of a piece (H3 cell 8c1fa5310955bff); 3 m east is the same, 60 m east another.
POTHOLE = (51.434425, 6.762265)
NEXT_TO_IT = (51.434425, 6.762308)
FURTHER_ON = (51.434425, 6.763130)
RULES = RoadRules()


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


def reading(
    vehicle: str, at: datetime, roughness: float, where: tuple[float, float] = POTHOLE
) -> RoadRoughnessReading:
    lat, lon = where
    return RoadRoughnessReading(
        vehicle_id=vehicle, measured_at=at, lat=lat, lon=lon, speed_kmh=30, roughness=roughness
    )


class Road:
    def __init__(self, max_pieces: int = 10_000) -> None:
        self.clock = Clock()
        self.store = InMemoryPieceStore()
        self.publisher = RecordingPublisher()
        self.service = RoadService(
            self.store, self.publisher, RULES, "duisburg", self.clock, max_pieces=max_pieces
        )

    async def drive(
        self, vehicle: str, roughness: float, where: tuple[float, float] = POTHOLE, hours: int = 5
    ) -> None:
        """A pass of two readings a second apart, some hours after the last one."""
        self.clock.now += timedelta(hours=hours)
        for second in range(2):
            at = self.clock.now + timedelta(seconds=second)
            await self.service.record(reading(vehicle, at, roughness, where))

    def detected(self) -> list[RoadDamageDetected]:
        return [e for _, e in self.publisher.published if isinstance(e, RoadDamageDetected)]

    def cleared(self) -> list[RoadDamageCleared]:
        return [e for _, e in self.publisher.published if isinstance(e, RoadDamageCleared)]


def test_readings_a_few_metres_apart_share_a_piece_and_sixty_metres_on_is_another() -> None:
    here = piece_of(*POTHOLE, 12)[0]

    assert piece_of(*NEXT_TO_IT, 12)[0] == here
    assert piece_of(*FURTHER_ON, 12)[0] != here


def test_a_vehicles_readings_within_two_minutes_are_one_pass_and_later_ones_another() -> None:
    piece = Piece("p", *POTHOLE)
    add_reading(piece, reading("truck-1", START, 8.0))
    add_reading(piece, reading("truck-1", START + timedelta(seconds=1), 10.0))
    add_reading(piece, reading("truck-2", START + timedelta(seconds=3), 3.0))
    add_reading(piece, reading("truck-1", START + timedelta(hours=3), 2.0))

    assert [(p.vehicle_id, p.roughness) for p in piece.passes] == [
        ("truck-1", 9.0),
        ("truck-2", 3.0),
        ("truck-1", 2.0),
    ]


def test_evidence_has_median_p90_passes_and_distinct_vehicles_of_the_window_only() -> None:
    piece = Piece("p", *POTHOLE)
    add_reading(piece, reading("old", START - timedelta(days=20), 30.0))
    for hour, (vehicle, roughness) in enumerate(
        [("a", 2.0), ("b", 4.0), ("a", 6.0), ("c", 8.0), ("b", 10.0)]
    ):
        add_reading(piece, reading(vehicle, START + timedelta(hours=hour), roughness))

    evidence = evidence_of(in_window(piece, START + timedelta(hours=5), RULES.window), RULES.window)

    assert (evidence.passes, evidence.vehicles) == (5, 3)
    assert (evidence.median_iri, evidence.p90_iri) == (6.0, 10.0)
    assert evidence.first_pass_at == START
    assert condition_of(evidence, RULES) == Condition.POOR


async def test_three_rough_passes_by_two_vehicles_become_one_detection() -> None:
    road = Road()
    await road.drive("truck-1", 9.0)
    await road.drive("truck-1", 9.5)
    assert road.detected() == []  # two passes, one vehicle: not yet
    await road.drive("truck-2", 8.5)

    [detected] = road.detected()
    assert road.publisher.topics() == [topics.ROAD_DAMAGE]
    assert detected.evidence.passes == 3
    assert detected.evidence.vehicles == 2
    assert detected.condition == "poor"
    assert detected.category_code == "road_damage"
    assert detected.source == "sensor"
    assert detected.report_id.startswith(f"road-{detected.piece_id}-")


async def test_three_passes_by_one_vehicle_are_not_enough_evidence() -> None:
    road = Road()
    for _ in range(4):
        await road.drive("truck-1", 12.0)

    assert road.detected() == []


async def test_rough_passes_spread_over_more_than_the_window_report_nothing() -> None:
    road = Road()
    await road.drive("truck-1", 9.0)
    await road.drive("truck-2", 9.0, hours=24 * 10)
    await road.drive("truck-1", 9.0, hours=24 * 10)

    assert road.detected() == []


async def test_smooth_road_with_one_bump_reports_nothing() -> None:
    road = Road()
    for vehicle, roughness in [("a", 2.0), ("b", 14.0), ("a", 2.5), ("b", 1.8), ("c", 2.2)]:
        await road.drive(vehicle, roughness)

    assert road.detected() == []


async def test_more_passes_confirm_the_same_finding_with_growing_evidence() -> None:
    road = Road()
    for vehicle in ["a", "b", "a", "c", "b"]:
        await road.drive(vehicle, 11.0)

    found = road.detected()
    assert [d.evidence.passes for d in found] == [3, 4, 5]
    assert len({d.report_id for d in found}) == 1
    assert found[-1].condition == "very_poor"


async def test_a_repaired_piece_is_cleared_once_and_can_be_reported_again_later() -> None:
    road = Road()
    for vehicle in ["a", "b", "a"]:
        await road.drive(vehicle, 9.0)
    [first] = road.detected()
    for vehicle in ["a", "b", "c"]:
        await road.drive(vehicle, 1.5)

    [cleared] = road.cleared()
    assert cleared.report_id == first.report_id
    assert cleared.caused_by == first.event_id
    assert cleared.evidence.median_iri == 1.5
    for vehicle in ["c", "a", "b", "c"]:
        await road.drive(vehicle, 1.5)
    assert len(road.cleared()) == 1
    await road.drive("a", 9.0, hours=24 * 30)
    for vehicle in ["b", "a"]:
        await road.drive(vehicle, 9.0)
    assert len({d.report_id for d in road.detected()}) == 2


async def test_slow_readings_are_ignored() -> None:
    road = Road()
    for vehicle in ["a", "b", "a"]:
        road.clock.now += timedelta(hours=1)
        slow = reading(vehicle, road.clock.now, 12.0).model_copy(update={"speed_kmh": 5})
        await road.service.record(slow)

    assert road.detected() == []
    assert road.store.pieces == {}


async def test_pieces_beyond_the_limit_leave_memory_saved_and_come_back_with_their_passes() -> None:
    road = Road(max_pieces=100)
    await road.drive("a", 9.0)
    for step in range(150):
        await road.drive("b", 2.0, where=(51.40 + step * 0.0005, 6.75), hours=0)
    assert road.service.pieces_in_memory == 100
    await road.drive("b", 9.0)
    await road.drive("c", 9.0)

    [detected] = road.detected()
    assert detected.evidence.passes == 3


async def test_flush_saves_changed_pieces_and_a_detected_piece_is_saved_at_once() -> None:
    road = Road()
    await road.drive("a", 2.0, where=FURTHER_ON)
    for vehicle in ["a", "b", "a"]:
        await road.drive(vehicle, 9.0)
    reported = road.store.pieces[road.detected()[0].piece_id]
    assert reported.finding_id == road.detected()[0].report_id

    # The detecting pass's second reading came after the save, the other piece's before.
    assert await road.service.flush() == 2
    assert await road.service.flush() == 0
    assert len(road.store.pieces) == 2


def test_the_rules_come_from_the_road_settings() -> None:
    settings = FleetSettings(road_min_passes=5, road_damage_iri=7.5, road_window_days=7)

    rules = rules_from(settings)

    assert (rules.min_passes, rules.damage_iri, rules.window) == (5, 7.5, timedelta(days=7))
    assert rules_from(FleetSettings()) == RULES


async def test_a_new_pothole_on_a_street_driven_smooth_before_needs_only_the_required_passes() -> (
    None
):
    road = Road()
    for vehicle in ["a", "b", "c", "a", "b", "c", "a"]:
        await road.drive(vehicle, 2.5, hours=1)
    for vehicle in ["d", "e"]:
        await road.drive(vehicle, 11.0, hours=1)
    assert road.detected() == []  # two rough passes: not yet
    await road.drive("d", 11.0, hours=1)

    [detected] = road.detected()
    assert detected.evidence.passes == 3
    assert detected.evidence.vehicles == 2
    assert detected.evidence.median_iri == 11.0
    assert detected.condition == "very_poor"
    await road.drive("e", 11.5, hours=1)
    assert [d.evidence.passes for d in road.detected()] == [3, 4]


async def test_pieces_a_failed_flush_did_not_save_are_saved_by_the_next() -> None:
    road = Road()
    await road.drive("a", 2.0)
    saving = road.store.save

    async def database_away(pieces: list[Piece]) -> None:
        raise ConnectionError("FerretDB away")

    road.store.save = database_away  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await road.service.flush()
    road.store.save = saving  # type: ignore[method-assign]

    assert await road.service.flush() == 1
    assert len(road.store.pieces) == 1
