"""Drives and observes the local test system: stack control, waiting, mailbox and topics."""

import asyncio
import email
import email.policy
import importlib.util
import random
import sys
import time
from collections.abc import Awaitable, Callable
from email.message import EmailMessage
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import httpx
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, RecordsToDelete
from aiokafka.errors import KafkaError

from bench.observers import only_markers_after
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.staff.auth import Role
from stadtmelder_reports.staff.token import ensure_signing_key, issue_token
from stadtmelder_shared import topics

ROOT = Path(__file__).resolve().parents[1]
# Where the project's own packages live: shared/ and one folder per service.
SOURCE_ROOTS = (
    "shared/src",
    "services/reports/src",
    "services/routing/src",
    "services/notify/src",
    "services/fleet/src",
)
T = TypeVar("T")


def load_stack() -> ModuleType:
    return load_local_script("stack")


def load_local_script(name: str) -> ModuleType:
    """The scripts in deploy/local are not a package; load one by path."""
    spec = importlib.util.spec_from_file_location(name, ROOT / f"deploy/local/{name}.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


async def wait_until(
    probe: Callable[[], Awaitable[T | None]],
    timeout: float = 30.0,
    interval: float = 0.1,
    what: str = "condition",
) -> T:
    """Poll `probe` until it returns something truthy; fail with `what` after `timeout`."""
    deadline = time.monotonic() + timeout
    last: T | None = None
    while time.monotonic() < deadline:
        last = await probe()
        if last:
            return last
        await asyncio.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what} (last: {last!r})")


async def a_free_place(
    reports_url: str,
    category: str,
    near: tuple[float, float],
    spread: tuple[float, float] = (0.006, 0.009),
    clearance_m: float = 150.0,
) -> tuple[float, float]:
    """A random point within `spread` degrees of `near` with no open report of `category`
    within `clearance_m`: the web form's duplicate check (50 m) and the reports it offers
    nearby then show only what the test itself puts there, however many reports other tests
    (or earlier runs) left around the same street."""
    async with httpx.AsyncClient(base_url=reports_url, timeout=30) as api:
        for _ in range(100):
            place = (
                round(near[0] + random.uniform(-spread[0], spread[0]), 6),
                round(near[1] + random.uniform(-spread[1], spread[1]), 6),
            )
            params: dict[str, str | float] = {
                "category": category,
                "lat": place[0],
                "lon": place[1],
                "radius": clearance_m,
            }
            answer = await api.get("/api/v1/reports/nearby", params=params)
            assert answer.status_code == 200, answer.text
            if answer.json() == []:
                return place
    raise AssertionError(f"no place without open {category} reports within {spread} of {near}")


class Mailbox:
    """The SMTP sink's directory: one .eml file per received message."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory

    def messages_to(self, address: str) -> list[EmailMessage]:
        found = []
        for path in sorted(self.directory.glob("*.eml")):
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            assert isinstance(message, EmailMessage)
            if address.lower() in str(message.get("To", "")).lower():
                found.append(message)
        return found

    async def received(self, address: str) -> list[EmailMessage]:
        """For `wait_until`: the messages to `address`, empty until one arrives."""
        return self.messages_to(address)


async def committed_offset(bootstrap: str, group: str, topic: str, partition: int) -> int | None:
    """The next offset consumer group `group` will read from `topic`/`partition`."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        offsets = await admin.list_consumer_group_offsets(group)
    finally:
        await admin.close()
    metadata = offsets.get(TopicPartition(topic, partition))
    return None if metadata is None else int(metadata.offset)


async def caught_up(bootstrap: str, group: str, topic: str) -> bool:
    """For `wait_until`: consumer group `group` has committed past every record now on `topic`,
    so whatever earlier tests published there has been handled. Only a transaction's commit
    marker may follow what it committed: routing publishes in transactions, and the marker after
    a transaction's last record is never consumed, so no group commits past it."""
    reader = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed"
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await reader.start()
    try:
        await admin.start()
        await reader._client.force_metadata_update()
        partitions = [TopicPartition(topic, p) for p in reader.partitions_for_topic(topic) or ()]
        if not partitions:
            return True
        firsts = await reader.beginning_offsets(partitions)
        ends = await reader.end_offsets(partitions)
        committed = await admin.list_consumer_group_offsets(group)
        for tp in partitions:
            known = committed.get(tp)
            offset = firsts[tp] if known is None else max(known.offset, firsts[tp])
            if offset < ends[tp] and not await only_markers_after(reader, tp, offset, ends[tp]):
                return False
        return True
    finally:
        await reader.stop()
        await admin.close()


async def delete_records(bootstrap: str, before: dict[TopicPartition, int]) -> None:
    """Delete the records of each partition before its offset (-1: all of them)."""
    if not before:
        return
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()

    async def deleted() -> bool:
        try:
            await admin.delete_records({tp: RecordsToDelete(at) for tp, at in before.items()})
        except KafkaError as error:
            # A broker just started elects its partitions' leaders for a moment (NotLeader...).
            if not error.retriable:
                raise
            return False
        return True

    try:
        await wait_until(deleted, timeout=60, interval=0.5, what="the records to be deleted")
    finally:
        await admin.close()


async def empty_topics(bootstrap: str) -> None:
    """Delete every record on the project's topics, except the compacted ones, which refuse it.

    Services started now read their topics from the start; stand-in events that earlier tests
    wrote there would be handled as real ones (notify waits up to 10 s for the confirmation of
    each routed report it never saw submitted, which held the first end-to-end tests' mails up
    for minutes).
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        names = [n for n in await admin.list_topics() if not n.startswith("__")]
        described = await admin.describe_topics([n for n in names if n not in topics.COMPACTED])
    finally:
        await admin.close()
    await delete_records(
        bootstrap,
        {
            TopicPartition(topic["topic"], partition["partition"]): -1
            for topic in described
            for partition in topic["partitions"]
        },
    )


async def records_with_key(bootstrap: str, topic: str, key: str) -> list[dict[str, Any]]:
    """Every record of `topic` whose Kafka key is `key`, read from the beginning."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        partitions = consumer.partitions_for_topic(topic) or set()
        if not partitions:
            await consumer._client.force_metadata_update()
            partitions = consumer.partitions_for_topic(topic) or set()
        assigned = [TopicPartition(topic, p) for p in partitions]
        if not assigned:
            return []
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        found: list[dict[str, Any]] = []
        for tp in assigned:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                for record in batch.get(tp, []):
                    if record.key == key.encode():
                        found.append(
                            {
                                "value": record.value,
                                "headers": {k: v.decode() for k, v in record.headers},
                                "partition": tp.partition,
                                "offset": record.offset,
                            }
                        )
        return found
    finally:
        await consumer.stop()


def staff_token(subject: str, roles: list[Role], department: str | None = None) -> str:
    """A staff member's token, signed with the local development key as `make token` does; the
    running reports service checks tokens with that key."""
    settings = ReportsSettings()
    key_file = settings.staff_signing_key_file
    key = ensure_signing_key(key_file if key_file.is_absolute() else ROOT / key_file)
    return issue_token(key, subject, roles, department, settings.staff_audience)


def staff_headers(subject: str, roles: list[Role], department: str | None = None) -> dict[str, str]:
    return {"authorization": f"Bearer {staff_token(subject, roles, department)}"}
