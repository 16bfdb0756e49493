"""What a benchmark sees of the system from outside: answers, work topics, mails, stored reports."""

import asyncio
import contextlib
import email.parser
import email.policy
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError
from pymongo import AsyncMongoClient

from bench.drills import mail_kind
from stadtmelder_reports.core.handlers import owner_group
from stadtmelder_shared import topics
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.kafka import group_for

# The consumer groups a report passes on its way to the department and to the reporter's inbox,
# with the topic each reads there: reports applies routed events in its report-owner group.
PIPELINE_CONSUMERS = (
    (group_for("routing", topics.REPORTS_SUBMITTED), topics.REPORTS_SUBMITTED),
    (group_for("notify", topics.REPORTS_SUBMITTED), topics.REPORTS_SUBMITTED),
    (owner_group("reports"), topics.REPORTS_ROUTED),
    (group_for("notify", topics.REPORTS_ROUTED), topics.REPORTS_ROUTED),
)

# Duisburg's centre (Altstadt, Dellviertel, Neudorf, Duissern): well inside the city. Places are
# spread over it as real reports are; all on one spot would make every nearby-duplicates lookup
# find all earlier benchmark reports.
CENTRE = (51.415, 6.745, 51.445, 6.790)  # min lat, min lon, max lat, max lon


def place(run: str, number: int) -> dict[str, float]:
    generator = random.Random(f"{run}:{number}")  # noqa: S311 - reproducible places, not secrets
    min_lat, min_lon, max_lat, max_lon = CENTRE
    lat, lon = generator.uniform(min_lat, max_lat), generator.uniform(min_lon, max_lon)
    return {"lat": round(lat, 6), "lon": round(lon, 6)}


def report_body(run: str, number: int) -> dict[str, Any]:
    """A valid report with its own reporter address, in English so mails are recognisable."""
    return {
        "category": "street_light_out",
        "description": f"Benchmark {run} #{number}: the street light is dark.",
        **place(run, number),
        "email": reporter_address(run, number),
        "language": "en",
    }


def reporter_address(run: str, number: int) -> str:
    return f"bench-{run}-{number}@example.org"


def new_run_id() -> str:
    return uuid.uuid4().hex[:8]


@dataclass(frozen=True)
class Answer:
    """What the API said to one submission: its status (None: no answer) and the report id."""

    status: int | None
    report_id: str | None
    address: str

    @property
    def accepted(self) -> bool:
        return self.status == 201 and self.report_id is not None


class WorkTopics:
    """Every department's work topic, read from where each ended when the reader started.

    Each record's own timestamp (set by routing when it produced it) is kept, so consumer lag
    here does not count as delivery time.
    """

    def __init__(self, bootstrap: str) -> None:
        # Routing writes work items in transactions: one it aborted is no work item.
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap,
            enable_auto_commit=False,
            group_id=None,
            isolation_level="read_committed",
        )
        self.times: dict[str, list[float]] = {}

    async def start(self) -> None:
        await self._consumer.start()
        await self._consumer._client.force_metadata_update()
        wanted = {topics.department_work(d.id) for d in load_directory().departments}
        partitions = [
            TopicPartition(topic, partition)
            for topic in sorted(wanted)
            for partition in self._consumer.partitions_for_topic(topic) or ()
        ]
        if not partitions:
            raise RuntimeError("no department work topic exists yet: is routing running?")
        self._consumer.assign(partitions)
        await self._consumer.seek_to_end(*partitions)
        for partition in partitions:  # fixes the start now, before any load is sent
            await self._consumer.position(partition)

    async def poll(self) -> None:
        """Read what has arrived; a broker that is away yields nothing until it is back."""
        while True:
            try:
                batches = await self._consumer.getmany(timeout_ms=200, max_records=5000)
            except KafkaError:
                return
            if not batches:
                return
            for records in batches.values():
                for record in records:
                    if record.key is not None:
                        key = record.key.decode()
                        self.times.setdefault(key, []).append(record.timestamp / 1000)

    def counts(self) -> Counter[str]:
        return Counter({key: len(times) for key, times in self.times.items()})

    async def stop(self) -> None:
        await self._consumer.stop()


class Mailbox:
    """The SMTP sink's new files, each parsed once (a file never changes once in place)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._before = {path.name for path in directory.glob("*.eml")}
        self._parser = email.parser.BytesHeaderParser(policy=email.policy.default)
        # file name -> (recipient, subject, arrival in wall-clock seconds)
        self._seen: dict[str, tuple[str, str, float]] = {}

    def scan(self) -> None:
        for path in self._directory.glob("*.eml"):
            if path.name in self._before or path.name in self._seen:
                continue
            with contextlib.suppress(FileNotFoundError):
                headers = self._parser.parsebytes(path.read_bytes())
                arrived = path.stat().st_mtime
                to = str(headers.get("To", "")).lower()
                self._seen[path.name] = (to, str(headers.get("Subject", "")), arrived)

    def by_report(self, reporters: dict[str, str]) -> dict[str, dict[str, list[float]]]:
        """report id -> mail kind -> arrival times, for reports given as {id: address}."""
        report_of = {address.lower(): report_id for report_id, address in reporters.items()}
        found: dict[str, dict[str, list[float]]] = {}
        for to, subject, arrived in self._seen.values():
            report_id = report_of.get(to)
            if report_id is None:
                continue
            kind = mail_kind(subject, report_id) or "other"
            found.setdefault(report_id, {}).setdefault(kind, []).append(arrived)
        return found

    def counts(self, reporters: dict[str, str]) -> dict[str, Counter[str]]:
        return {
            report_id: Counter({kind: len(times) for kind, times in kinds.items()})
            for report_id, kinds in self.by_report(reporters).items()
        }


class StoredReports:
    """The reports service's database, asked which reports it holds and which are routed."""

    def __init__(self, mongodb_url: str) -> None:
        self._client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
            mongodb_url, serverSelectionTimeoutMS=5000
        )
        self._reports = self._client["stadtmelder_reports"]["reports"]

    async def stored_and_routed(self, report_ids: Iterable[str]) -> tuple[set[str], set[str]]:
        stored: set[str] = set()
        routed: set[str] = set()
        wanted = sorted(report_ids)
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            query = {"_id": {"$in": chunk}}
            async for document in self._reports.find(query, {"department": 1}):
                stored.add(document["_id"])
                if document.get("department"):
                    routed.add(document["_id"])
        return stored, routed

    async def close(self) -> None:
        await self._client.close()


CONNECTIONS = 100  # the load's requests at once: more get no more through one server process


def client(url: str, connections: int = 1000) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=200)
    return httpx.AsyncClient(base_url=url, timeout=30, limits=limits)


def errors_of(answers: Sequence[Answer]) -> dict[str, int]:
    found: dict[str, int] = {}
    for answer in answers:
        if not answer.accepted:
            key = "no answer" if answer.status is None else str(answer.status)
            found[key] = found.get(key, 0) + 1
    return found


async def consumers_behind(bootstrap: str) -> list[str]:
    """The pipeline consumers that have not yet committed past the end of their topic.

    A record is committed only after it was handled, so once none is behind, every
    redelivery that could double a work item or a mail has happened.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed"
    )
    behind: list[str] = []
    try:
        await admin.start()
        await reader.start()
        await reader._client.force_metadata_update()
        for group, topic in PIPELINE_CONSUMERS:
            numbers = reader.partitions_for_topic(topic) or ()
            partitions = [TopicPartition(topic, number) for number in numbers]
            ends = await reader.end_offsets(partitions) if partitions else {}
            committed = await admin.list_consumer_group_offsets(group)
            for partition, end in ends.items():
                offset = committed.get(partition)
                if end > 0 and (offset is None or offset.offset < end):
                    if offset and await only_markers_after(reader, partition, offset.offset, end):
                        continue
                    behind.append(f"{group}[{partition.partition}]")
    finally:
        await reader.stop()
        await admin.close()
    return behind


async def only_markers_after(
    reader: AIOKafkaConsumer, partition: TopicPartition, committed: int, end: int
) -> bool:
    """Whether only transaction markers follow `committed`: a consumer commits its position
    after handling a record, so the marker that ends the last transaction (routing publishes
    in transactions) stays after its committed offset."""
    reader.assign([partition])
    reader.seek(partition, committed)
    records = await reader.getmany(partition, timeout_ms=1000)
    return not records.get(partition) and await reader.position(partition) >= end


async def wait_for_consumers(bootstrap: str, deadline: float) -> list[str]:
    """Wait until no pipeline consumer is behind, or the (monotonic) deadline passes; returns
    those still behind. Asks at least once, however late."""
    while True:
        try:
            behind = await consumers_behind(bootstrap)
        except KafkaError as error:  # the broker may still be coming back
            behind = [f"(cannot ask: {error.__class__.__name__})"]
        if not behind or time.monotonic() >= deadline:
            return behind
        await asyncio.sleep(0.5)


def gate() -> asyncio.Semaphore:
    """The queue in front of a `client(url, CONNECTIONS)` (first come, first served), so that
    requests wait here and not in httpcore's pool, which scans every waiting request against
    every connection each time one moves: a backlog of a thousand requests at 50/s took the
    load generator a whole core."""
    return asyncio.Semaphore(CONNECTIONS)


async def submit(
    api: httpx.AsyncClient, run: str, number: int, queue: asyncio.Semaphore | None = None
) -> Answer:
    address = reporter_address(run, number)
    try:
        async with queue or contextlib.nullcontext():
            response = await api.post("/api/v1/reports", json=report_body(run, number))
    except httpx.HTTPError:
        return Answer(None, None, address)
    report_id = response.json().get("id") if response.status_code == 201 else None
    return Answer(response.status_code, report_id, address)
