"""Whether a work item is on its department's Kafka topic already.

A round cut off between the broker's acknowledgement and the send log's record of it (a kill -9,
an OOM kill) leaves the send pending; the worker that takes it over would publish the item a
second time. Unlike a mail server or a webhook, Kafka can be asked: this reads the department's
topic from shortly before the earlier round began and looks for the item's event id.
"""

import asyncio
from datetime import datetime, timedelta
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

from stadtmelder_shared import topics
from stadtmelder_shared.work_item_events import WorkItemQueued

# Record times are the producing replica's clock, which may be off from ours. Too early a start
# costs only reading a little more; too late a one would send the item again.
CLOCK_MARGIN = timedelta(seconds=30)


class KafkaTopicCheck:
    def __init__(self, bootstrap_servers: str, timeout_s: float = 10.0, **login: Any) -> None:
        """`login`: aiokafka's security options (stadtmelder_shared.kafka_security)."""
        self._bootstrap_servers = bootstrap_servers
        self._timeout_s = timeout_s
        self._login = login

    async def delivered_since(self, item: WorkItemQueued, since: datetime) -> bool:
        """True if `item` was published to its department's topic at `since` or later.

        Raises if the topic cannot be read in time; the caller then sends (never loses)."""
        # Subscribed without a group: every partition is ours, and nothing is committed.
        consumer = AIOKafkaConsumer(
            topics.department_work(item.department.id),
            bootstrap_servers=self._bootstrap_servers,
            enable_auto_commit=False,
            isolation_level="read_committed",
            client_id="stadtmelder-routing-check",
            **self._login,
        )
        try:
            return await asyncio.wait_for(_search(consumer, item, since), self._timeout_s)
        finally:
            await consumer.stop()


async def _search(consumer: AIOKafkaConsumer, item: WorkItemQueued, since: datetime) -> bool:
    await consumer.start()
    partitions = sorted(consumer.assignment())
    if not partitions:
        return False
    ends = await consumer.end_offsets(partitions)
    from_ms = int((since - CLOCK_MARGIN).timestamp() * 1000)
    starts = await consumer.offsets_for_times(dict.fromkeys(partitions, from_ms))
    unread: dict[TopicPartition, int] = {}
    for partition in partitions:
        start = starts[partition]
        if start is not None and start.offset < ends[partition]:
            consumer.seek(partition, start.offset)
            unread[partition] = ends[partition]
    key = item.report_id.encode()
    while unread:
        batches = await consumer.getmany(*unread, timeout_ms=500)
        for records in batches.values():
            if any(record.key == key and _event_id(record) == item.event_id for record in records):
                return True
        for partition, end in list(unread.items()):
            if await consumer.position(partition) >= end:
                del unread[partition]
    return False


def _event_id(record: ConsumerRecord[bytes, bytes]) -> str | None:
    for name, value in record.headers:
        if name == "ce_id":
            return bytes(value).decode(errors="replace")
    return None
