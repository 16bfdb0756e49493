"""Two routing replicas on the real broker: a report's submission and its status changes reach
the same replica, the one whose ownership says it owns the report; so its work item has one
writer (FerretDB 1.24 would lose one of two writes at the same moment)."""

import uuid
from collections import defaultdict

import pytest

from stadtmelder_routing.handlers import register_handlers
from stadtmelder_shared import topics
from stadtmelder_shared.kafka import ensure_topics, make_broker
from stadtmelder_shared.partition_owner import PartitionOwnership
from tests.conftest import LocalSystem
from tests.integration.poison import Recorder, real_event
from tests.integration.test_report_owner import _publish
from tests.system import wait_until

pytestmark = pytest.mark.integration

TOPICS = (topics.REPORTS_SUBMITTED, topics.REPORTS_STATUS_CHANGED)
REPORTS = 24


class RoutingReplica:
    """One routing process's report consumers (no transactions, one worker, so that each of two
    replicas is given partitions), recording what it was given."""

    def __init__(self, kafka: str, group: str, name: str) -> None:
        self.broker = make_broker(kafka, f"routing-owner-test-{name}")
        self.ownership = PartitionOwnership(topics.REPORTS_SUBMITTED)
        self.service = Recorder({"route_report": None}, works=Recorder())
        register_handlers(self.broker, self.service, group, None, self.ownership, workers=1)  # type: ignore[arg-type]


async def test_a_reports_status_changes_reach_the_replica_that_owns_its_submission(
    infrastructure: LocalSystem,
) -> None:
    await ensure_topics(infrastructure.kafka, list(TOPICS), 3, 1)
    group = f"routing-owner-test-{uuid.uuid4().hex[:8]}"  # groups of its own
    replicas = [RoutingReplica(infrastructure.kafka, group, str(n)) for n in (1, 2)]
    producer = make_broker(infrastructure.kafka, "routing-owner-test-producer")
    sent: dict[str, list[str]] = defaultdict(list)
    try:
        for replica in replicas:
            await replica.broker.start()
        await producer.connect()

        async def split() -> bool:
            return all(replica.ownership.owned for replica in replicas)

        await wait_until(split, timeout=90, what="both replicas to own partitions")
        for n in range(REPORTS):
            report_id = f"ROWN{n:02d}-{uuid.uuid4().hex[:5]}"
            for topic in TOPICS:
                body, event_id = real_event(topic, report_id)
                await _publish(producer, topic, report_id, body)
                sent[report_id].append(event_id)
        every_event = {e for ids in sent.values() for e in ids}

        async def all_handled() -> bool:
            return every_event <= set().union(*(r.service.seen for r in replicas))

        await wait_until(all_handled, timeout=90, what="every event to be handled")
    finally:
        for replica in replicas:
            await replica.broker.stop()
        await producer.stop()

    for report_id, event_ids in sent.items():
        handlers = [r for r in replicas if r.service.seen & set(event_ids)]
        assert len(handlers) == 1, f"{report_id} was handled by both replicas"
        assert handlers[0].ownership.owns(report_id)
        assert set(event_ids) <= handlers[0].service.seen
    assert all(r.service.seen & every_event for r in replicas)
