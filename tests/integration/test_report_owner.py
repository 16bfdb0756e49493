"""Two reports replicas on the real broker: every event applied to one report's document, from
whichever topic, is applied by the same replica, the one whose ownership says it owns the report;
so no two replicas write one report at the same moment (FerretDB 1.24 would lose one write)."""

import uuid
from collections import defaultdict
from typing import Any

import pytest

from stadtmelder_reports.core.handlers import register_handlers
from stadtmelder_shared import topics
from stadtmelder_shared.cloudevents import headers_for
from stadtmelder_shared.kafka import ensure_topics, make_broker
from stadtmelder_shared.partition_owner import PartitionOwnership
from tests.conftest import LocalSystem
from tests.integration.poison import Recorder, real_event
from tests.system import wait_until

pytestmark = pytest.mark.integration

# The topics whose events the replicas apply to report documents, written at nearly the same
# moment in the drills: routing's answer and notify's confirmation mail of one submission.
TOPICS = (topics.REPORTS_ROUTED, topics.CITIZENS_NOTIFIED, topics.REPORTS_UNROUTABLE)
REPORTS = 24


class Replica:
    """One reports process's consumers, recording which report ids it was given."""

    def __init__(self, kafka: str, group: str, name: str) -> None:
        self.broker = make_broker(kafka, f"owner-test-{name}")
        self.ownership = PartitionOwnership(topics.REPORTS_ROUTED)
        self.service, self.work = Recorder(), Recorder()
        register_handlers(self.broker, self.service, self.work, group, self.ownership)  # type: ignore[arg-type]

    def applied(self, event_ids: set[str]) -> set[str]:
        return (self.service.seen | self.work.seen) & event_ids


async def test_each_report_is_written_by_the_one_replica_that_owns_its_partition(
    infrastructure: LocalSystem,
) -> None:
    await ensure_topics(infrastructure.kafka, list(TOPICS), 3, 1)
    group = f"owner-test-{uuid.uuid4().hex[:8]}"  # a group of its own, whatever else runs
    first = Replica(infrastructure.kafka, group, "1")
    second = Replica(infrastructure.kafka, group, "2")
    producer = make_broker(infrastructure.kafka, "owner-test-producer")
    try:
        await first.broker.start()
        await second.broker.start()
        await producer.connect()

        async def split() -> bool:
            return bool(first.ownership.owned and second.ownership.owned)

        await wait_until(split, timeout=90, what="both replicas to own partitions")
        report_ids = {f"OWNR{n:02d}-{uuid.uuid4().hex[:5]}" for n in range(REPORTS)}
        sent: dict[str, list[str]] = defaultdict(list)
        for report_id in sorted(report_ids):
            for topic in TOPICS:
                body, event_id = real_event(topic, report_id)
                await _publish(producer, topic, report_id, body)
                sent[report_id].append(event_id)

        async def all_applied() -> bool:
            events = {e for ids in sent.values() for e in ids}
            return events <= first.applied(events) | second.applied(events)

        await wait_until(all_applied, timeout=90, what="every event to be applied")
    finally:
        await first.broker.stop()
        await second.broker.stop()
        await producer.stop()

    for report_id, event_ids in sent.items():
        writers = [r for r in (first, second) if r.applied(set(event_ids))]
        assert len(writers) == 1, f"{report_id} was written by both replicas"
        assert writers[0].ownership.owns(report_id)
    every_event = {e for ids in sent.values() for e in ids}
    assert first.applied(every_event)
    assert second.applied(every_event)


async def _publish(producer: Any, topic: str, report_id: str, event: Any) -> None:
    await producer.publish(
        event.model_dump(mode="json"),
        topic,
        key=report_id.encode(),
        headers=headers_for(event, "owner-test"),
    )
