"""Routing's Kafka transactions on the real broker: what handling a record publishes is read
once, with its offset, by consumers of committed records, even when a replica takes over."""

import uuid
from collections.abc import AsyncIterator

import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient

from stadtmelder_routing.exactly_once import (
    RecordTransactions,
    TransactionalPublisher,
    TransactionFailed,
)
from stadtmelder_shared.dead_letters import Origin
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Actor
from stadtmelder_shared.kafka import ensure_topics
from stadtmelder_shared.report_events import ReportCommented
from tests.conftest import LocalSystem

pytestmark = pytest.mark.integration


class OutsideRefused:
    async def publish(self, topic: str, event: Event) -> None:
        raise AssertionError(f"published to {topic} outside a transaction")


def a_comment(report_id: str) -> ReportCommented:
    return ReportCommented(
        report_id=report_id,
        jurisdiction="duisburg",
        visibility="internal",
        text="transaction test",
        actor=Actor(role="system"),
    )


class Topics:
    def __init__(self, bootstrap: str) -> None:
        key = uuid.uuid4().hex[:8]
        self.bootstrap = bootstrap
        self.group, self.source, self.out = f"tx-{key}", f"tx-in-{key}", f"tx-out-{key}"

    def record(self, offset: int) -> Origin:
        return Origin(self.source, 0, offset)

    async def committed_reports(self) -> list[str]:
        """Report ids of the records a consumer of committed records reads, in order."""
        reader = AIOKafkaConsumer(
            bootstrap_servers=self.bootstrap,
            enable_auto_commit=False,
            isolation_level="read_committed",
        )
        await reader.start()
        try:
            partition = TopicPartition(self.out, 0)
            reader.assign([partition])
            reader.seek(partition, 0)
            batches = await reader.getmany(partition, timeout_ms=3000)
            return [record.key.decode() for record in batches.get(partition, []) if record.key]
        finally:
            await reader.stop()

    async def committed_offset(self) -> int | None:
        admin = AIOKafkaAdminClient(bootstrap_servers=self.bootstrap)
        await admin.start()
        try:
            offsets = await admin.list_consumer_group_offsets(self.group)
        finally:
            await admin.close()
        found = offsets.get(TopicPartition(self.source, 0))
        return found.offset if found else None


@pytest.fixture
async def kafka(infrastructure: LocalSystem) -> AsyncIterator[Topics]:
    names = Topics(infrastructure.kafka)
    await ensure_topics(names.bootstrap, [names.source, names.out], 1, 1)
    yield names
    admin = AIOKafkaAdminClient(bootstrap_servers=names.bootstrap)
    await admin.start()
    try:
        await admin.delete_topics([names.source, names.out])
    finally:
        await admin.close()


async def replica(kafka: Topics) -> RecordTransactions:
    transactions = RecordTransactions(kafka.group, kafka.bootstrap)
    await transactions.start()
    return transactions


async def test_a_record_is_published_once_with_its_offset_even_when_its_first_try_failed(
    kafka: Topics,
) -> None:
    publisher = TransactionalPublisher(OutsideRefused(), "/test")
    first = await replica(kafka)

    async def fail() -> None:
        await publisher.publish(kafka.out, a_comment("A"))
        raise ConnectionError("the database went away")

    try:
        with pytest.raises(ConnectionError):
            await first.run(kafka.record(0), fail)
        assert await first.run(
            kafka.record(0), lambda: publisher.publish(kafka.out, a_comment("A"))
        )
    finally:
        await first.close()

    assert await kafka.committed_reports() == ["A"]
    assert await kafka.committed_offset() == 1


async def test_a_replica_taking_over_skips_what_was_committed_and_fences_the_one_before(
    kafka: Topics,
) -> None:
    publisher = TransactionalPublisher(OutsideRefused(), "/test")
    first, second = await replica(kafka), await replica(kafka)
    ran: list[str] = []

    async def publish(report_id: str) -> None:
        ran.append(report_id)
        await publisher.publish(kafka.out, a_comment(report_id))

    try:
        assert await first.run(kafka.record(0), lambda: publish("A"))
        # The partition moves to the second replica while the first still thinks it owns it.
        assert not await second.run(kafka.record(0), lambda: publish("A again"))
        with pytest.raises(TransactionFailed):
            await first.run(kafka.record(1), lambda: publish("B by the fenced one"))
        assert await second.run(kafka.record(1), lambda: publish("B"))
    finally:
        await first.close()
        await second.close()

    assert await kafka.committed_reports() == ["A", "B"]
    assert await kafka.committed_offset() == 2
    assert "A again" not in ran
