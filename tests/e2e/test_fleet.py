"""Waste trucks as sensors, end to end: simulated passes over a defect become one routed
automatic report, or evidence on a citizen's report nearby; a container filling fast appears
in its district's emptying plan."""

import functools
import itertools
import math
import os
import random
import subprocess
import sys
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from faststream.kafka import KafkaBroker

from stadtmelder_fleet.simulator.bins import SimContainer
from stadtmelder_fleet.simulator.city import Metres, Projection
from stadtmelder_fleet.simulator.readings import SOURCE, fill_reading, road_reading
from stadtmelder_fleet.simulator.roads import DefectSpot, RoadTruth, drive
from stadtmelder_fleet.simulator.world import RoadSample
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_shared import topics
from stadtmelder_shared.kafka import KafkaEventPublisher, group_for, make_broker
from tests.conftest import LocalSystem
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.system import caught_up, records_with_key, staff_headers, wait_until

pytestmark = pytest.mark.e2e
PROJECTION = Projection()
DUISBURG = load_jurisdiction()
ROAD_DAMAGE = "road_damage"
ROAD_DEPARTMENT = "wbd-strasse"
# The consumers whose backlog must be empty before "no second report" means anything.
HANDLERS = (
    (group_for("fleet", topics.ROAD_ROUGHNESS), topics.ROAD_ROUGHNESS),
    (group_for("reports", topics.ROAD_DAMAGE), topics.ROAD_DAMAGE),
)


@pytest.fixture
async def sensors(fleet_system: LocalSystem) -> AsyncIterator[KafkaEventPublisher]:
    broker: KafkaBroker = make_broker(fleet_system.kafka, client_id="e2e-fleet-simulator")
    await broker.connect()
    try:
        yield KafkaEventPublisher(broker, SOURCE)
    finally:
        await broker.stop()


def a_place_in_mitte(rng: random.Random) -> Metres:
    """Somewhere within 1.5 km of the Königstraße, a different road for every run."""
    centre = PROJECTION.to_metres(KOENIGSTRASSE[1], KOENIGSTRASSE[0])
    angle, distance = rng.uniform(0, 2 * math.pi), 1500 * math.sqrt(rng.random())
    return centre[0] + distance * math.cos(angle), centre[1] + distance * math.sin(angle)


async def a_spot_of_its_own(system: LocalSystem, rng: random.Random) -> Metres:
    """A place in Mitte with no road report within 200 m, once every reading sent before is
    handled: no other test's defect (or citizen's report) can take this test's evidence or
    add a report beside it."""
    await wait_until(lambda: handled_everything(system), timeout=90, what="earlier readings")
    for _ in range(100):
        spot = a_place_in_mitte(rng)
        if not await road_reports_near(system, spot, radius_m=200):
            return spot
    raise AssertionError("no place in Mitte without road reports within 200 m")


def degrees(at: Metres) -> tuple[float, float]:
    return PROJECTION.to_degrees(*at)


def passes_over(spot: Metres, vehicles: list[str], rng: random.Random) -> list[RoadSample]:
    """Each vehicle in turn drives a 200 m street through `spot`, 10 minutes apart, as the
    simulator's trucks do: at 25 km/h, a reading a second, rough only over the defect."""
    truth = RoadTruth([DefectSpot("e2e", spot)])
    heading = rng.uniform(0, math.pi)
    dx, dy = 100 * math.cos(heading), 100 * math.sin(heading)
    street = [(spot[0] - dx, spot[1] - dy), (spot[0] + dx, spot[1] + dy)]
    samples = []
    for number, vehicle in enumerate(vehicles):
        positions = list(drive(street, 25.0, 1.0))
        start = -600.0 * (len(vehicles) - number)
        for second, (previous, at) in enumerate(itertools.pairwise([positions[0], *positions])):
            roughness = truth.roughness(previous, at, rng)
            samples.append(RoadSample(vehicle, start + second, at, 25.0, roughness))
    return samples


async def drive_passes(sensors: KafkaEventPublisher, samples: list[RoadSample]) -> None:
    now = datetime.now(UTC)
    for sample in samples:
        await sensors.publish(topics.ROAD_ROUGHNESS, road_reading(sample, PROJECTION, now))


async def road_reports_near(
    system: LocalSystem, at: Metres, radius_m: float = 80
) -> list[dict[str, Any]]:
    lat, lon = degrees(at)
    async with httpx.AsyncClient(base_url=system.reports_url) as client:
        response = await client.get(
            "/api/v1/reports/nearby",
            params={"category": ROAD_DAMAGE, "lat": lat, "lon": lon, "radius": radius_m},
        )
    assert response.status_code == 200, response.text
    return [found["report"] for found in response.json()]


async def report(system: LocalSystem, report_id: str) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=system.reports_url) as client:
        response = await client.get(f"/api/v1/reports/{report_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


async def handled_everything(system: LocalSystem) -> bool:
    """Whether the fleet and reports consumers have committed every record of their topics."""
    return all([await caught_up(system.kafka, group, topic) for group, topic in HANDLERS])


async def test_passes_over_a_defect_become_one_routed_automatic_report(
    fleet_system: LocalSystem, sensors: KafkaEventPublisher
) -> None:
    rng = random.Random(uuid.uuid4().int)
    spot = await a_spot_of_its_own(fleet_system, rng)
    run = uuid.uuid4().hex[:8]
    vehicles = [f"e2e-{run}-a", f"e2e-{run}-b", f"e2e-{run}-a", f"e2e-{run}-b"]

    # Runs that kept the test stack may have left reports about; only new ones count.
    before = {r["id"] for r in await road_reports_near(fleet_system, spot)}

    await drive_passes(sensors, passes_over(spot, vehicles, rng))

    async def routed_report() -> list[dict[str, Any]]:
        found = await road_reports_near(fleet_system, spot)
        return [r for r in found if r["id"] not in before and r["status"] == "routed"]

    [automatic] = await wait_until(routed_report, timeout=60, what="an automatic road report")
    assert "m/km IRI" in automatic["description"]
    assert automatic["department"]["id"] == ROAD_DEPARTMENT
    work = await wait_until(
        lambda: records_with_key(
            fleet_system.kafka, topics.department_work(ROAD_DEPARTMENT), automatic["id"]
        ),
        what="the road department's work item",
    )
    assert len(work) == 1
    # Fleet commits what it has saved, every FLEET_ROAD_FLUSH_SECONDS (10 s).
    await wait_until(
        lambda: handled_everything(fleet_system), timeout=90, what="every reading handled"
    )
    after = {r["id"] for r in await road_reports_near(fleet_system, spot)}
    assert after - before == {automatic["id"]}


async def test_a_citizens_report_nearby_gets_the_evidence_instead_of_a_second_report(
    fleet_system: LocalSystem, sensors: KafkaEventPublisher
) -> None:
    rng = random.Random(uuid.uuid4().int)
    place = await a_spot_of_its_own(fleet_system, rng)
    lat, lon = degrees(place)
    citizen = {
        "category": ROAD_DAMAGE,
        "answers": valid_answers(DUISBURG.category(ROAD_DAMAGE)),
        "description": "Tiefes Schlagloch auf der rechten Fahrspur.",
        "lat": lat,
        "lon": lon,
        "email": f"citizen-{uuid.uuid4().hex[:12]}@example.org",
    }
    async with httpx.AsyncClient(base_url=fleet_system.reports_url) as client:
        response = await client.post("/api/v1/reports", json=citizen)
    assert response.status_code == 201, response.text
    citizens_id = response.json()["id"]
    run = uuid.uuid4().hex[:8]
    # The defect the trucks measure lies 10 m from where the citizen put the pin.
    spot = (place[0] + 10, place[1])

    before = {r["id"] for r in await road_reports_near(fleet_system, spot)}
    assert citizens_id in before

    await drive_passes(sensors, passes_over(spot, [f"e2e-{run}-a", f"e2e-{run}-b"] * 2, rng))

    async def confirmed() -> list[str]:
        view = await report(fleet_system, citizens_id)
        return [c["text"] for c in view["comments"] if "m/km IRI" in c["text"]]

    evidence = await wait_until(confirmed, timeout=60, what="sensor evidence on the report")
    assert all("Fahrzeugen" in text for text in evidence)
    # Fleet commits what it has saved, every FLEET_ROAD_FLUSH_SECONDS (10 s).
    await wait_until(
        lambda: handled_everything(fleet_system), timeout=90, what="every reading handled"
    )
    assert {r["id"] for r in await road_reports_near(fleet_system, spot)} == before
    # Once, though the defect may span two road pieces: they are one finding.
    assert len(await confirmed()) == 1


def import_containers(system: LocalSystem, containers: list[SimContainer], path: Path) -> None:
    """As an operator does: the fleet's import command on a CSV file."""
    rows = ["id,lat,lon,kind,capacity_l,district"]
    for c in containers:
        lat, lon = degrees(c.at)
        rows.append(f"{c.id},{lat:.7f},{lon:.7f},{c.kind},3000,{c.district}")
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "stadtmelder_fleet.containers.admin", str(path)],
        check=True,
        env={**os.environ, "MONGODB_URL": system.mongodb_url},
    )


async def test_a_container_forecast_to_be_full_appears_in_the_emptying_plan(
    fleet_system: LocalSystem, sensors: KafkaEventPublisher, tmp_path: Path
) -> None:
    run = uuid.uuid4().hex[:8]
    district = f"e2e-{run}"
    centre = a_place_in_mitte(random.Random(run))
    fast = SimContainer(f"e2e-{run}-fast", district, centre, "glass", 60.0)
    slow = SimContainer(f"e2e-{run}-slow", district, (centre[0] + 50, centre[1]), "paper", 2.0)
    import_containers(fleet_system, [fast, slow], tmp_path / "containers.csv")
    now = datetime.now(UTC)
    for hours_ago in (18, 12, 6, 0):
        measured_at = now - timedelta(hours=hours_ago)
        for container in (fast, slow):
            fill = container.percent_per_day * (24 - hours_ago) / 24
            await sensors.publish(topics.CONTAINER_FILL, fill_reading(container, fill, measured_at))
    # Asked before fleet stored every reading, the plan rightly empties the slow container (it
    # never reported) and not the fast one (one reading, no pace yet): a clean run saw that.
    fill_group = group_for("fleet", topics.CONTAINER_FILL)
    stored = functools.partial(caught_up, fleet_system.kafka, fill_group, topics.CONTAINER_FILL)
    await wait_until(stored, timeout=60, interval=0.5, what="fleet to store every fill reading")
    tomorrow = datetime.now(UTC).date() + timedelta(days=1)
    url = f"http://127.0.0.1:{fleet_system.profile.fleet_port}"
    headers = staff_headers("dispatcher-e2e", ["dispatcher"])

    async def planned() -> list[str]:
        async with httpx.AsyncClient(base_url=url, headers=headers) as client:
            response = await client.get(
                "/api/v1/containers/emptying-plan",
                params={"district": district, "date": tomorrow.isoformat()},
            )
        assert response.status_code == 200, response.text
        plan = response.json()
        stops = [s["container_id"] for route in plan["routes"] for s in route["stops"]]
        # Both must have been read: a container that never reported is planned regardless.
        return stops if plan["saved"]["emptyings"] == 1 else []

    assert await wait_until(planned, timeout=60, what="the emptying plan") == [fast.id]
