"""Road findings across pieces, edges and restarts: damage over two pieces is one finding that
clears when both are smooth; a piece at a patch's edge is not cleared while passes still hit
the damage; a reading read again (a restart, a failed batch) counts once."""

from datetime import timedelta

from stadtmelder_fleet.road.domain import piece_of
from stadtmelder_fleet.road.service import RoadService
from tests.unit.test_fleet_road import POTHOLE, RULES, Road, reading

# The piece east of the pothole's: a patch on their border makes both rough.
NEIGHBOUR = (51.434405, 6.762517)


async def drive_both(road: Road, vehicle: str, roughness: float) -> None:
    """A pass over both pieces: two readings on each, some hours after the last pass."""
    road.clock.now += timedelta(hours=5)
    for second, where in enumerate([POTHOLE, POTHOLE, NEIGHBOUR, NEIGHBOUR]):
        at = road.clock.now + timedelta(seconds=second)
        await road.service.record(reading(vehicle, at, roughness, where))


async def test_damage_over_two_pieces_is_one_finding_cleared_when_both_are_smooth() -> None:
    road = Road()
    for vehicle in ["a", "b", "a", "c"]:
        await drive_both(road, vehicle, 9.0)

    detected = road.detected()
    assert len({d.report_id for d in detected}) == 1
    neighbour = road.store.pieces[piece_of(*NEIGHBOUR, 12)[0]]
    assert neighbour.finding_id == detected[0].report_id
    # Evidence only grows: the second piece, with as many passes, publishes nothing new.
    assert [d.evidence.passes for d in detected] == [3, 4]

    for vehicle in ["a", "b", "c"]:
        await road.drive(vehicle, 1.5)  # the pothole's piece is repaired first
    assert road.cleared() == []
    for vehicle in ["a", "b", "c"]:
        await road.drive(vehicle, 1.5, where=NEIGHBOUR, hours=0)

    [cleared] = road.cleared()
    assert cleared.report_id == detected[0].report_id
    assert cleared.caused_by == detected[0].event_id


async def test_a_piece_at_a_patchs_edge_stays_reported_while_passes_still_hit_the_damage() -> None:
    road = Road()
    for vehicle in ["a", "b", "a"]:
        await road.drive(vehicle, 9.0)
    # Two of the newest three passes missed the damage, the third hit it: not repaired.
    for vehicle, roughness in [("b", 2.0), ("a", 9.0), ("c", 2.0)]:
        await road.drive(vehicle, roughness)
    assert road.cleared() == []

    for vehicle in ["a", "b", "c"]:
        await road.drive(vehicle, 2.0)

    [cleared] = road.cleared()
    assert cleared.evidence.p90_iri < RULES.clear_iri


async def test_readings_read_again_count_once() -> None:
    road = Road()
    sent = []
    for vehicle in ["a", "b", "a"]:
        road.clock.now += timedelta(hours=5)
        sent += [reading(vehicle, road.clock.now + timedelta(seconds=s), 9.0) for s in range(3)]
        await road.service.record_many(sent[-3:])

    await road.service.record_many(sent)

    [detected] = road.detected()
    piece = road.store.pieces[detected.piece_id]
    assert [p.readings for p in piece.passes] == [3, 3, 3]


async def test_rough_readings_from_before_a_repair_read_again_report_nothing() -> None:
    road = Road()
    rough = []
    for vehicle in ["a", "b", "a"]:
        road.clock.now += timedelta(hours=5)
        rough.append(reading(vehicle, road.clock.now, 9.0))
        await road.service.record(rough[-1])
    for vehicle in ["b", "a", "c"]:
        await road.drive(vehicle, 1.5)
    assert len(road.cleared()) == 1
    published = len(road.publisher.published)

    await road.service.record_many(rough)

    assert len(road.publisher.published) == published


async def test_after_a_restart_a_piece_turning_rough_next_to_an_open_finding_joins_it() -> None:
    road = Road()
    for vehicle in ["a", "b", "a"]:
        await road.drive(vehicle, 9.0)
    [first] = road.detected()

    restarted = RoadService(road.store, road.publisher, RULES, "duisburg", road.clock)
    await restarted.load()
    road.service = restarted
    for vehicle in ["a", "b", "c", "a"]:
        await road.drive(vehicle, 9.0, where=NEIGHBOUR)

    assert {d.report_id for d in road.detected()} == {first.report_id}
    [finding] = road.store.findings.values()
    assert len(finding.pieces) == 2
