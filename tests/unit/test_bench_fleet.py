"""The fleet bench judges the fleet's findings against the simulator's seeded truth."""

from shapely.geometry import Polygon

from bench.fleet_emptying import compare
from bench.fleet_roads import as_reports, evaluate_roads
from stadtmelder_fleet.simulator.city import District, Projection
from stadtmelder_fleet.simulator.world import World, WorldShape, build_world
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.road_damage import RoadDamageDetected, RoadEvidence

SQUARE = District("900", "square", Polygon([(0, 0), (3000, 0), (3000, 3000), (0, 3000)]))


def square_world(trucks: int = 2) -> World:
    return build_world([SQUARE], WorldShape(seed=3, trucks=trucks), Projection())


def detected_at(world: World, x: float, y: float) -> RoadDamageDetected:
    lat, lon = world.projection.to_degrees(x, y)
    evidence = RoadEvidence.model_validate(
        {"passes": 3, "vehicles": 2, "median_iri": 9, "p90_iri": 11, "window_days": 14,
         "first_pass_at": "2026-01-05T07:00:00Z", "last_pass_at": "2026-01-06T07:00:00Z"}
    )  # fmt: skip
    return RoadDamageDetected(
        report_id=f"road-{x}-{y}",
        jurisdiction="duisburg",
        piece_id="p",
        location=Location(lat=lat, lon=lon),
        condition="poor",
        evidence=evidence,
    )


def test_findings_within_30_m_of_a_report_add_to_it_and_further_ones_are_reports() -> None:
    world = square_world()
    findings = [detected_at(world, 1000, 1000), detected_at(world, 1020, 1000)]
    findings.append(detected_at(world, 1100, 1000))
    reports = as_reports(world, findings)
    assert len(reports) == 2


async def test_the_fleet_finds_every_seeded_defect_and_nothing_on_smooth_road() -> None:
    world = square_world()
    outcome = await evaluate_roads(world, days=3)
    assert outcome.spots == 3
    assert outcome.found == 3
    assert outcome.on_smooth_road == 0
    assert outcome.readings > 10_000


async def test_one_day_of_rounds_is_too_little_evidence_for_any_report() -> None:
    outcome = await evaluate_roads(square_world(trucks=1), days=1)
    assert outcome.found == outcome.reports == 0


def test_emptying_by_plan_needs_fewer_emptyings_than_the_weekly_round_and_none_overflows() -> None:
    world = build_world([SQUARE], WorldShape(seed=3, per_district=(12, 3, 12)), Projection())
    fixed, plan = compare(world, weeks=2)
    assert fixed.emptyings == 12 * 2  # every container once a week
    assert plan.emptyings < fixed.emptyings * 0.8
    assert plan.overflowing == fixed.overflowing == 0
    assert plan.highest_fill_percent < 100
