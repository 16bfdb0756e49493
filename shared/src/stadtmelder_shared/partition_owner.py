"""Which reports this replica owns: those whose partition (the producer's murmur2 of the report id)
its owner consumer group assigned to it, so that it alone writes their documents.

FerretDB 1.24 makes no update atomic, so two replicas writing one document at the same moment
lose one write. Kafka's group coordinator is atomic: one consumer subscribes to every topic whose
events a service applies to a report's document, in one group with the range assignor, which
gives partition *p* of each of those topics (keyed by report id, equal partition counts) to the
same member. That member is the report's one writer on the Kafka path; the service's other
writers of the report (the outbox relay's sent marks) ask `owns` first.
"""

import asyncio
import logging
import time
from collections.abc import Callable, Collection

from aiokafka import ConsumerRebalanceListener, TopicPartition
from aiokafka.partitioner import murmur2

log = logging.getLogger(__name__)
# How long `settled` waits for the group's answer: a replica's first join, or a rebalance after
# another replica came or went, takes a few seconds; a group that never answers must not stop
# the writers that wait for it.
SETTLE_WAIT_S = 30.0
# How many partitions a topic has, None while unknown; bound to the consumer once it exists.
PartitionCount = Callable[[str], int | None]


def partition_of(key: str, partitions: int) -> int:
    """The partition the producer's default partitioner puts a record keyed `key` on."""
    hashed: int = murmur2(key.encode())
    return (hashed & 0x7FFFFFFF) % partitions


class PartitionOwnership(ConsumerRebalanceListener):  # type: ignore[misc]
    """The partitions of `topic` this replica's owner consumer holds; `owns(report_id)` is false
    before the first assignment and while a rebalance is under way. `on_change` callbacks run
    after every assignment: what a replica remembers of reports it did not write meanwhile (a
    partition that moved away and back) is stale then."""

    def __init__(self, topic: str) -> None:
        self.topic = topic
        self._owned: frozenset[int] = frozenset()
        self._count: int | None = None
        self._partition_count: PartitionCount = lambda _: None
        self._on_change: list[Callable[[], None]] = []
        self._settled = asyncio.Event()
        self._unsettled_since = time.monotonic()

    def bind(self, partition_count: PartitionCount) -> None:
        self._partition_count = partition_count

    def on_change(self, callback: Callable[[], None]) -> None:
        self._on_change.append(callback)

    @property
    def owned(self) -> frozenset[int]:
        return self._owned

    def owns(self, report_id: str) -> bool:
        if self._count is None or not self._owned:
            return False
        return partition_of(report_id, self._count) in self._owned

    async def settled(self) -> None:
        """Once the group has answered, at once; while it has not, for at most what is left of
        `SETTLE_WAIT_S` since it stopped answering."""
        left = SETTLE_WAIT_S - (time.monotonic() - self._unsettled_since)
        if not self._settled.is_set() and left > 0:
            try:
                await asyncio.wait_for(self._settled.wait(), left)
            except TimeoutError:
                log.warning("no partitions of %s assigned within %.0f s", self.topic, left)

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        # Eager rebalancing: a consumer gives up all it had until the group answers again. The
        # process's other consumers of the group (workers) keep theirs, which are disjoint.
        self._owned -= {tp.partition for tp in revoked if tp.topic == self.topic}
        self._settled.clear()
        self._unsettled_since = time.monotonic()

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        self.assigned({tp.partition for tp in assigned if tp.topic == self.topic})

    def assigned(self, partitions: Collection[int]) -> None:
        """One consumer of the group was given `partitions` (added to the other workers')."""
        self._count = self._partition_count(self.topic)
        self._owned |= frozenset(partitions)
        self._settled.set()
        log.info(
            "owns partitions %s of %s", sorted(self._owned), self.topic, extra={"of": self._count}
        )
        for callback in self._on_change:
            callback()


class Reassigned(ConsumerRebalanceListener):  # type: ignore[misc]
    """Calls each of `forget` after every assignment of the consumers it listens to: what the
    process kept of reports whose partitions moved away and back may be stale by then."""

    def __init__(self, *forget: Callable[[], None]) -> None:
        self._forget = forget

    async def on_partitions_revoked(self, revoked: Collection[TopicPartition]) -> None:
        return None

    async def on_partitions_assigned(self, assigned: Collection[TopicPartition]) -> None:
        for forget in self._forget:
            forget()
