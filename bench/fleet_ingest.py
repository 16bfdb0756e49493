"""`make bench-fleet-ingest`: the fleet service on the running local system, beside a bare
aiokafka consumer reading the same records from the same broker.

5,000 containers are imported with a fill reading each; a hundred trucks drive a round over
their streets (10,000 road pieces) to bring the pieces into the fleet's memory, then go on
driving: those readings are published as fast as Kafka takes them, and the fleet's committed
offsets are timed (it commits what it has saved) while its memory is sampled. A bare aiokafka
consumer reads the same readings from a topic of its own: the ceiling. Between the round and
the measured readings a dispatcher asks for the emptying plan of a district of 500 containers,
all due, so the fleet's memory is measured after a plan, as on a working day. Last, three
passes by two trucks over fresh defects, timed from the last pass's publication to the routed
report.

    .venv/bin/python -m bench.fleet_ingest [--readings 120000] [--profile run|test]
"""

import argparse
import asyncio
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition

from bench import fleet_workload as work
from bench.figures import Latency, ratio, show, table
from bench.fleet_cleanup import forget_run
from bench.fleet_plan import PLAN_TARGET_S, plan_seconds
from bench.load_report import verdict
from bench.target import Target
from stadtmelder_shared import topics
from stadtmelder_shared.kafka import ensure_topics, group_for
from stadtmelder_shared.sensor_readings import RoadRoughnessReading

TRUCKS = 100
PIECES_PER_TRUCK = 77  # their streets cross 10,168 pieces (76: 9,955), fleet keeps 10,000
CONTAINERS = 5_000
RATE_TARGET = 2_000.0
RSS_TARGET_MB = 150.0
LATENCY_TARGET_S = 5.0
ROAD_GROUP = group_for("fleet", topics.ROAD_ROUGHNESS)
# Whose CPU time is shown: the fleet's and its database server's, on the same two cores.
BUSY = ("fleet", "ferretdb")
# The baseline reads the same readings from a topic of its own, so the fleet never sees them.
BASELINE_TOPIC = "bench.fleet-baseline"
# Places east of the first for each run's defects, all inside Duisburg (40 would leave it).
DEFECT_PLACES = 30


@dataclass(frozen=True)
class Ingest:
    readings: int
    per_second: float
    seconds: float
    peak_rss_mb: float
    cpu_ms_per_reading: dict[str, float]
    """CPU time per reading of the fleet and of the database server, while it worked."""


async def bare_consumer(kafka: str, topic: str) -> float:
    """Records a second that a bare aiokafka consumer reads of a topic's backlog, nothing
    done with them: the ceiling of any consumer in Python on this broker and machine."""
    end = await work.end_offsets(kafka, topic)
    consumer = AIOKafkaConsumer(bootstrap_servers=kafka, enable_auto_commit=False)
    await consumer.start()
    try:
        consumer.assign(list(end))
        await consumer.seek_to_beginning(*end)
        begin = await consumer.beginning_offsets(list(end))
        wanted = sum(end[tp] - begin[tp] for tp in end)
        began, read = time.perf_counter(), 0
        while read < wanted:
            batches = await consumer.getmany(timeout_ms=1000, max_records=5000)
            read += sum(len(records) for records in batches.values())
        return read / (time.perf_counter() - began)
    finally:
        await consumer.stop()


async def fleet_ingest(
    target: Target, readings: list[RoadRoughnessReading], timeout_s: float
) -> Ingest:
    """Publishes the readings as fast as Kafka takes them and times the fleet's committed
    offsets (it commits what it has saved, every few seconds) from their first move after the
    publishing began to their last: the fleet's rate while it has a backlog."""
    start = await work.end_offsets(target.kafka, topics.ROAD_ROUGHNESS)
    publishing = asyncio.create_task(
        work.publish_all(target.kafka, topics.ROAD_ROUGHNESS, readings)
    )
    before = await _committed(target, start)
    wanted = sum(start.values()) + len(readings)
    moves: list[tuple[float, int]] = []
    used = target.cpu_seconds(*BUSY)
    peak, deadline = 0.0, time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        peak = max(peak, target.rss_mb("fleet").get("fleet", 0.0))
        done = await _committed(target, start)
        if done > (moves[-1][1] if moves else before):
            moves.append((time.perf_counter(), done))
        if done >= wanted:
            await publishing
            (first_at, first), (last_at, last) = moves[0], moves[-1]
            seconds = last_at - first_at
            rate = (last - first) / seconds if seconds > 0 else 0.0
            now = target.cpu_seconds(*BUSY)
            cpu = {name: 1000 * (now[name] - used[name]) / len(readings) for name in BUSY}
            return Ingest(len(readings), rate, seconds, peak, cpu)
        await asyncio.sleep(0.1)
    publishing.cancel()
    raise RuntimeError(f"the fleet did not work off the backlog within {timeout_s:.0f} s")


async def _committed(target: Target, end: dict[TopicPartition, int]) -> int:
    found = await work.committed(target.kafka, ROAD_GROUP)
    return sum(found.get(tp, 0) for tp in end)


async def defect_latencies(target: Target, trials: int, run: str, driven: set[str]) -> list[float]:
    """Seconds from publishing the third pass over a fresh defect to its routed report; the
    pieces the passes drove over are added to `driven`. Each run drives its defects at places
    of its own (one of DEFECT_PLACES, about 100 m apart) and waits for a report that was not
    there before: an earlier run's open report would take the evidence instead."""
    seconds = []
    shift = int(run, 16) % DEFECT_PLACES * 0.0015
    async with httpx.AsyncClient(base_url=target.reports_url, timeout=5) as api:

        async def reports_at(lat: float, lon: float) -> dict[str, str]:
            params: dict[str, str | float] = {"category": "road_damage", "lat": lat, "lon": lon}
            params["radius"] = 40
            found = (await api.get("/api/v1/reports/nearby", params=params)).json()
            return {f["report"]["id"]: f["report"]["status"] for f in found}

        for trial in range(trials):
            lat, lon = work.GRID_LAT - 0.004 - trial * 0.002, work.GRID_LON + 0.01 + shift
            vehicles = [f"bench-{run}-d{trial}-a", f"bench-{run}-d{trial}-b"]
            passes = work.passes_over_defect(lat, lon, [*vehicles, vehicles[0]], work.now_utc())
            earlier = set(await reports_at(lat, lon))
            await work.publish_all(
                target.kafka, topics.ROAD_ROUGHNESS, [r for p in passes[:2] for r in p]
            )
            driven.update(work.pieces_of(r for p in passes for r in p))
            await work.publish_all(target.kafka, topics.ROAD_ROUGHNESS, passes[2])
            sent = time.perf_counter()
            while time.perf_counter() - sent < 60:
                found = await reports_at(lat, lon)
                if any(s == "routed" and r not in earlier for r, s in found.items()):
                    seconds.append(time.perf_counter() - sent)
                    break
                await asyncio.sleep(0.05)
    return seconds


async def run(options: argparse.Namespace) -> int:
    target = Target.of(options.profile)
    target.ensure_running()
    if not target.is_running("fleet"):
        await asyncio.to_thread(target.start, "fleet")
    run_id = uuid.uuid4().hex[:6]
    with tempfile.TemporaryDirectory() as folder:
        listing = Path(folder) / "containers.csv"
        listing.write_text("\n".join(work.container_rows(CONTAINERS, run_id)) + "\n")
        await _import(target, listing)
    now = work.now_utc()
    fills = work.fill_readings(CONTAINERS, run_id, now)
    await work.publish_all(target.kafka, topics.CONTAINER_FILL, fills)
    # One round of every truck over its street first: the pieces are in the fleet's memory
    # then, as on a working day; the measured readings continue the trucks' rounds.
    warm_up = TRUCKS * work.readings_per_round(PIECES_PER_TRUCK)
    readings = work.grid_readings(TRUCKS, PIECES_PER_TRUCK, warm_up + options.readings, now, run_id)
    driven = work.pieces_of(readings)
    pieces = len(driven)
    print(f"bench: a round of {warm_up:,} readings over {pieces:,} pieces first", flush=True)
    await fleet_ingest(target, readings[:warm_up], options.timeout)
    plan = await plan_seconds(target, work.district_of(0, run_id))
    measured = readings[warm_up:]
    await ensure_topics(target.kafka, [BASELINE_TOPIC], partitions=3, replication_factor=1)
    await work.publish_all(target.kafka, BASELINE_TOPIC, measured)
    baseline = await bare_consumer(target.kafka, BASELINE_TOPIC)
    print(f"bench: {len(measured):,} readings to the fleet", flush=True)
    fleet = await fleet_ingest(target, measured, options.timeout)
    latencies = await defect_latencies(target, options.defects, run_id, driven)
    await forget_run(target, run_id, driven, options.timeout)
    print(result_table(fleet, baseline, pieces, latencies, options.defects, plan))
    met = (
        fleet.per_second >= RATE_TARGET
        and plan[0] < PLAN_TARGET_S
        and fleet.peak_rss_mb < RSS_TARGET_MB
        and len(latencies) == options.defects
        and max(latencies) < LATENCY_TARGET_S
    )
    return 0 if met else 1


async def _import(target: Target, listing: Path) -> None:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "stadtmelder_fleet.containers.admin", str(listing),
        env={"MONGODB_URL": target.mongodb_url, "PATH": "/usr/bin:/bin"},
        stdout=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    if await process.wait() != 0:
        raise RuntimeError("the container import failed")


def result_table(
    fleet: Ingest,
    baseline: float,
    pieces: int,
    latencies: list[float],
    trials: int,
    plan: tuple[float, int],
) -> str:
    latency = Latency.of_seconds(latencies)
    factor = ratio(fleet.per_second, baseline)
    cpu = fleet.cpu_ms_per_reading
    rows = [
        ["road readings ingested per second", show(fleet.per_second, digits=0),
         f"bare consumer {show(baseline, digits=0)} ({show(factor, digits=2)} of it)",
         f"≥ 2,000 ({verdict(fleet.per_second >= RATE_TARGET)})"],
        ["emptying plan of a district", show(plan[0], " s", 1),
         f"{plan[1]} containers due, {work.DISTRICT_CONTAINERS} in it",
         f"< 10 s ({verdict(plan[0] < PLAN_TARGET_S)})"],
        ["peak RSS of the fleet process after the plan", show(fleet.peak_rss_mb, " MB"),
         f"{pieces:,} pieces, {CONTAINERS:,} containers",
         f"< 150 MB ({verdict(fleet.peak_rss_mb < RSS_TARGET_MB)})"],
        ["CPU per reading: fleet, database", f"{cpu['fleet']:.2f} ms, {cpu['ferretdb']:.2f} ms",
         "", ""],
        ["last pass → routed report, p50", show(latency.p50, " ms", 0),
         f"{latency.count} of {trials} defects", ""],
        ["last pass → routed report, max", show(latency.max, " ms", 0), "",
         f"< 5 s ({verdict(latency.count == trials and (latency.max or 1e9) < 5000)})"],
    ]  # fmt: skip
    title = f"Fleet ingest: {fleet.readings:,} road readings worked off in {fleet.seconds:.1f} s"
    return f"{title}\n{table(['', 'fleet', 'beside it', 'target'], rows)}"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--readings", type=int, default=120_000, help="road readings in the backlog"
    )
    parser.add_argument("--defects", type=int, default=5, help="defects timed to their report")
    parser.add_argument("--timeout", type=float, default=600.0, help="seconds the fleet may take")
    parser.add_argument("--profile", choices=("run", "test"), default="run")
    return asyncio.run(run(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
