"""What the fleet ingest benchmark leaves behind, removed again: its containers and their fill
readings, its road pieces and findings in fleet's database, and the conditions of those pieces
that reports keeps for the road maps (else 10,000 smooth pieces of a benchmark would show on
the public map of Duisburg-Mitte for the window's 14 days)."""

import asyncio
import time
from typing import Any

from pymongo import AsyncMongoClient

from bench import fleet_workload as work
from bench.target import Target
from stadtmelder_fleet.containers.store import CONTAINERS as CONTAINERS_COLLECTION
from stadtmelder_fleet.containers.store import FILL as FILL_COLLECTION
from stadtmelder_fleet.settings import FleetSettings
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_shared import topics
from stadtmelder_shared.kafka import group_for

# FerretDB 1.24 answers `$in` on _id by reading the whole collection: a few large lists.
IDS_AT_ONCE = 2_000
# Fleet has saved (and announced) every reading once its group's offsets reach the end, and
# reports has kept every announcement once its group's do.
SAVED = (
    (topics.ROAD_ROUGHNESS, group_for(FleetSettings().kafka_group_id, topics.ROAD_ROUGHNESS)),
    (topics.ROAD_CONDITIONS, group_for(ReportsSettings().kafka_group_id, topics.ROAD_CONDITIONS)),
)


async def forget_run(target: Target, run_id: str, pieces: set[str], timeout_s: float) -> None:
    """Deletes the run's data once fleet has saved every reading and reports has taken every
    road condition fleet announced (one taken after the delete would bring its piece back)."""
    for topic, group in SAVED:
        await _caught_up(target, topic, group, timeout_s)
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(target.mongodb_url)
    try:
        fleet = client[FleetSettings().mongodb_database]
        ours = {"_id": {"$regex": f"^bench-{run_id}-c"}}
        for collection in (CONTAINERS_COLLECTION, FILL_COLLECTION):
            await fleet[collection].delete_many(ours)
        ids = sorted(pieces)
        for start in range(0, len(ids), IDS_AT_ONCE):
            chunk = {"$in": ids[start : start + IDS_AT_ONCE]}
            await fleet["road_pieces"].delete_many({"_id": chunk})
            await fleet["road_findings"].delete_many({"pieces": chunk})
            reports = client[ReportsSettings().mongodb_database]
            await reports["fleet_road_conditions"].delete_many({"_id": chunk})
    finally:
        await client.close()


async def _caught_up(target: Target, topic: str, group: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        end = await work.end_offsets(target.kafka, topic)
        done = await work.committed(target.kafka, group)
        if all(done.get(tp, 0) >= offset for tp, offset in end.items()):
            return
        await asyncio.sleep(0.5)
    raise RuntimeError(f"{group} did not work off {topic} within {timeout_s:.0f} s")
