"""One writer per report across replicas: the consumers that write report documents share one
group, ownership follows the producer's partitioner, new reports get an owned id, and a relay
that does not own a report publishes its events but leaves its document to the owner."""

import asyncio

from aiokafka import TopicPartition
from aiokafka.partitioner import DefaultPartitioner
from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import LogicSubscriber

from stadtmelder_reports.core.domain import new_owned_report_id, new_report_id
from stadtmelder_reports.core.handlers import owner_group, register_handlers
from stadtmelder_reports.core.outbox import OutboxRelay, ReportOutbox
from stadtmelder_shared import topics
from stadtmelder_shared.partition_owner import PartitionOwnership, partition_of
from tests.fakes import InMemoryReportRepository, RecordingPublisher
from tests.integration.poison import Recorder
from tests.system import wait_until
from tests.unit.test_outbox import submitted

# The topics whose events the reports service applies to a report's document.
WRITING_TOPICS = {
    topics.REPORTS_ROUTED,
    topics.REPORTS_UNROUTABLE,
    topics.CITIZENS_NOTIFIED,
    topics.WORK_ITEMS_SEND_FAILED,
}


def owning(partitions: set[int], of: int = 2) -> PartitionOwnership:
    ownership = PartitionOwnership(topics.REPORTS_ROUTED)
    ownership.bind(lambda topic: of)
    ownership.assigned(partitions)
    return ownership


class Owner:
    """An owner that never waits: owns what `owns` says."""

    def __init__(self, owns: bool) -> None:
        self._owns = owns

    def owns(self, key: str) -> bool:
        return self._owns

    async def settled(self) -> None:
        return None


def test_a_report_lies_in_the_partition_the_producer_puts_its_events_in() -> None:
    for partitions in (1, 2, 3, 6, 12):
        for _ in range(50):
            report_id = new_report_id()
            expected = DefaultPartitioner()(report_id.encode(), list(range(partitions)), [])
            assert partition_of(report_id, partitions) == expected


def test_a_replica_owns_the_reports_of_its_partitions_and_none_while_unassigned() -> None:
    changes: list[str] = []
    ownership = PartitionOwnership(topics.REPORTS_ROUTED)
    ownership.bind(lambda topic: 2)
    ownership.on_change(lambda: changes.append("changed"))
    report_ids = [new_report_id() for _ in range(40)]
    assert not any(ownership.owns(r) for r in report_ids)

    ownership.assigned({0})

    assert [ownership.owns(r) for r in report_ids] == [partition_of(r, 2) == 0 for r in report_ids]
    assert any(ownership.owns(r) for r in report_ids)
    assert changes == ["changed"]
    asyncio.run(ownership.on_partitions_revoked({TopicPartition(topics.REPORTS_ROUTED, 0)}))
    assert not any(ownership.owns(r) for r in report_ids)


def test_a_new_report_gets_an_id_of_a_partition_the_replica_owns() -> None:
    for owned in ({0}, {1}):
        ownership = owning(owned)
        for _ in range(30):
            assert ownership.owns(new_owned_report_id(ownership.owns))


def test_a_replica_without_partitions_still_gets_a_report_id() -> None:
    assert new_owned_report_id(lambda report_id: False)


def test_every_consumer_that_writes_report_documents_reads_in_one_group() -> None:
    broker = KafkaBroker()
    register_handlers(broker, Recorder(), Recorder(), "reports")  # type: ignore[arg-type]

    writers = [
        s
        for s in broker.subscribers
        if isinstance(s, LogicSubscriber) and set(s.topic_names) & WRITING_TOPICS
    ]

    # A group per topic gave partition p of reports.routed and of reports.citizen-notified to
    # different replicas, which wrote one report at the same moment: the routed step was lost.
    assert len(writers) == 1
    assert set(writers[0].topic_names) == WRITING_TOPICS
    assert writers[0].group_id == owner_group("reports")


async def test_a_relay_that_does_not_own_a_report_publishes_but_leaves_its_document() -> None:
    repository, publisher = InMemoryReportRepository(), RecordingPublisher()
    report_id = await submitted(repository)
    revision = repository.reports[report_id].revision
    elsewhere = OutboxRelay(ReportOutbox(repository), publisher, owner=Owner(owns=False))

    elsewhere.wake(report_id)
    assert await elsewhere.publish_hinted() == 1

    # Announced at once, but the document is the owner's to write.
    assert [event.report_id for _, event in publisher.published] == [report_id]
    assert repository.reports[report_id].revision == revision
    assert len(repository.reports[report_id].pending_events) == 1

    owner = OutboxRelay(ReportOutbox(repository), publisher, owner=Owner(owns=True))
    owner.wake(report_id)
    assert await owner.publish_hinted() == 1
    assert repository.reports[report_id].pending_events == []


async def test_a_relay_waits_for_its_ownership_before_publishing() -> None:
    repository, publisher = InMemoryReportRepository(), RecordingPublisher()
    report_id = await submitted(repository)
    ownership = PartitionOwnership(topics.REPORTS_ROUTED)
    ownership.bind(lambda topic: 1)
    relay = OutboxRelay(ReportOutbox(repository), publisher, poll_seconds=60, owner=ownership)
    relay.wake(report_id)
    running = asyncio.create_task(relay.run())
    try:
        for _ in range(20):  # the relay's turns on the event loop, no time
            await asyncio.sleep(0)
        assert publisher.published == []  # nobody owns anything before the group answers

        ownership.assigned({0})

        async def cleared() -> bool:
            return not repository.reports[report_id].pending_events

        await wait_until(cleared, timeout=10, what="the owner to mark the event sent")
        assert len(publisher.published) == 1
    finally:
        relay.stop()
        await running
