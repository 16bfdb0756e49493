"""Poison on every partition of `reports.submitted` and `reports.routed` blocks no later report:
reports sent right after are routed and mailed, and the poison is parked."""

import uuid
from functools import partial

import httpx
import pytest
from aiokafka import AIOKafkaProducer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.partitioner import DefaultPartitioner

from stadtmelder_shared import topics
from tests.conftest import LocalSystem
from tests.e2e.test_pipeline import a_report, an_address, received_at_least, routed, submit
from tests.integration.poison import poison
from tests.system import records_with_key, wait_until

pytestmark = pytest.mark.e2e
POISONED = [topics.REPORTS_SUBMITTED, topics.REPORTS_ROUTED]
DEAD_LETTERS = "stadtmelder_dead_letters_total"


async def partition_counts(kafka: str) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=kafka)
    await admin.start()
    try:
        described = await admin.describe_topics(POISONED)
    finally:
        await admin.close()
    return {topic["topic"]: len(topic["partitions"]) for topic in described}


async def put_poison(kafka: str, key: str, partitions: dict[str, int]) -> int:
    producer = AIOKafkaProducer(bootstrap_servers=kafka, acks="all")
    await producer.start()
    try:
        placed = 0
        for topic in POISONED:
            for partition in range(partitions[topic]):
                # Not JSON, the wrong shape, an unknown schema version, headers not UTF-8.
                body, headers = poison(placed, topic, key)
                await producer.send_and_wait(
                    topic, body, key=key.encode(), partition=partition, headers=headers
                )
                placed += 1
        return placed
    finally:
        await producer.stop()


async def metric_total(port: int, name: str) -> float:
    async with httpx.AsyncClient() as http:
        response = await http.get(f"http://127.0.0.1:{port}/metrics")
    total = 0.0
    for line in response.text.splitlines():
        if line.startswith(name + "{") and 'topic="reports.' in line:
            total += float(line.rsplit(" ", 1)[1])
    return total


async def test_reports_after_poison_on_every_partition_are_routed_and_mailed(
    running_system: LocalSystem,
) -> None:
    kafka = running_system.kafka
    profile = running_system.profile
    services = {"routing": profile.routing_port, "notify": profile.notify_port}
    services["reports"] = profile.reports_port
    # The counters are the services' own since they started: other tests' poison counts too.
    before = {name: await metric_total(port, DEAD_LETTERS) for name, port in services.items()}
    partitions = await partition_counts(kafka)
    key = f"POISON-{uuid.uuid4().hex[:8]}"
    placed = await put_poison(kafka, key, partitions)
    assert placed == sum(partitions.values())

    # Reports until every poisoned partition has one after its poison: the report id is the
    # key, so a report's submitted and routed events share the partition number.
    choose = DefaultPartitioner()
    count = partitions[topics.REPORTS_SUBMITTED]
    sent: dict[str, str] = {}
    covered: set[int] = set()
    while covered != set(range(count)) and len(sent) < 24:
        address = an_address()
        report_id = await submit(running_system, a_report(address))
        sent[report_id] = address
        covered.add(choose(report_id.encode(), list(range(count)), list(range(count))))
    assert covered == set(range(count)), "no report landed on some partition"

    # A partition blocked by its poison would never route or mail its report; the waits' bounds
    # only end the test then, however slowly a busy machine gets there otherwise.
    for report_id, address in sent.items():
        await routed(running_system, report_id, timeout=90)
        await wait_until(
            partial(received_at_least, running_system, address, 2),
            timeout=90,
            what=f"the confirmation and the routing mail about {report_id}",
        )

    for topic in POISONED:
        parked = await records_with_key(kafka, topics.dead_letter(topic), key)
        by = {(r["headers"]["dlq_group"], r["headers"]["dlq_partition"]) for r in parked}
        for partition in range(partitions[topic]):
            assert any(p == str(partition) for _, p in by), (topic, partition, by)
    wanted = {"routing": count, "notify": placed, "reports": count}

    async def all_counted() -> dict[str, float] | None:
        added = {
            name: await metric_total(port, DEAD_LETTERS) - before[name]
            for name, port in services.items()
        }
        return added if all(added[name] >= wanted[name] for name in wanted) else None

    await wait_until(all_counted, timeout=60, what=f"{wanted} more dead letters counted")
