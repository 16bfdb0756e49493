"""Consume, process, produce in one Kafka transaction per record: the events handling a record
publishes and the record's consumer offset are committed together, or none of them is.

Each partition of the consumed topic has a transactional producer of its own, its id derived
from the consumer group and the partition. Whoever handles the partition next, in this process
or another replica, opens a producer with the same id: Kafka then fences the one before (its
open transaction is aborted, a commit under way is finished first), and the committed offset
read after that says which records are done. So a record whose transaction committed is never
handled again, even when a rebalance hands it over in the middle (aiokafka commits offsets in
a transaction without the consumer group generation, so fencing by id is what keeps zombies
out). Consumers of what is published here read with `isolation_level="read_committed"`.
"""

import asyncio
import contextvars
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiokafka import AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import KafkaError

from stadtmelder_shared.cloudevents import headers_for, subject_of
from stadtmelder_shared.dead_letters import Origin
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.tracing import current_traceparent

log = logging.getLogger(__name__)


@dataclass
class _Transaction:
    """The records one handling sends; each is awaited before the commit, which in aiokafka
    does not wait for them itself."""

    producer: AIOKafkaProducer
    sent: list["asyncio.Future[Any]"] = field(default_factory=list)

    async def send(self, topic: str, event: Event, source: str) -> None:
        headers = headers_for(event, source, current_traceparent())
        self.sent.append(
            await self.producer.send(
                topic,
                value=event.model_dump_json().encode(),
                key=subject_of(event).encode(),
                headers=[(name, value.encode()) for name, value in headers.items()],
            )
        )


_CURRENT: contextvars.ContextVar[_Transaction | None] = contextvars.ContextVar(
    "kafka_transaction", default=None
)


def in_transaction() -> bool:
    """Whether the code running now publishes into a record's transaction."""
    return _CURRENT.get() is not None


class TransactionalPublisher:
    """Publishes into the transaction of the record being handled, else through `outside`."""

    def __init__(self, outside: EventPublisher, source: str) -> None:
        self._outside = outside
        self._source = source

    async def publish(self, topic: str, event: Event) -> None:
        transaction = _CURRENT.get()
        if transaction is None:
            await self._outside.publish(topic, event)
        else:
            await transaction.send(topic, event, self._source)


@dataclass
class _Partition:
    producer: AIOKafkaProducer
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)
    # The offset after the last record this producer committed; a record at another offset was
    # handed over (a redelivery, a rebalance), so the group's committed offset is asked.
    expected: int | None = None
    # Records below are done, as far as this producer has learnt since it fenced the one
    # before. Kept, as FastStream's own commit after a skipped record writes a lower offset.
    done_below: int = 0


class TransactionFailed(Exception):
    """Kafka did not take a record's transaction; the record is handled again (transient)."""


class RecordTransactions:
    """`run` handles one record of `group` inside a transaction of its partition's producer."""

    def __init__(self, group: str, bootstrap_servers: str, **login: Any) -> None:
        self._group = group
        self._bootstrap_servers = bootstrap_servers
        self._login = login
        self._admin: AIOKafkaAdminClient | None = None
        self._partitions: dict[TopicPartition, _Partition] = {}

    async def start(self) -> None:
        # aiokafka's clients are made inside the running loop, not at `create_app`.
        self._admin = AIOKafkaAdminClient(bootstrap_servers=self._bootstrap_servers, **self._login)
        await self._admin.start()

    async def run(self, origin: Origin, work: Callable[[], Awaitable[None]]) -> bool:
        """Runs `work` and commits what it published with the record's offset; False when the
        record's transaction committed before (nothing runs then). After aborting, raises what
        `work` raised, or `TransactionFailed`, so the record comes again."""
        tp = TopicPartition(origin.topic, origin.partition)
        partition = self._partitions.get(tp) or await self._open(tp)
        async with partition.lock:
            if self._partitions.get(tp) is not partition:  # replaced while this record waited
                return await self.run(origin, work)
            return await self._run(tp, partition, origin.offset, work)

    async def _run(
        self,
        tp: TopicPartition,
        partition: _Partition,
        offset: int,
        work: Callable[[], Awaitable[None]],
    ) -> bool:
        producer = partition.producer
        try:
            if partition.expected != offset:
                committed = await self._committed(tp, producer)
                partition.done_below = max(partition.done_below, committed)
            if offset < partition.done_below:
                return False
            await producer.begin_transaction()
        except KafkaError as error:
            await self._abort(tp, partition)
            raise TransactionFailed(type(error).__name__) from error
        transaction = _Transaction(producer)
        token = _CURRENT.set(transaction)
        try:
            await work()
        except BaseException:
            await self._abort(tp, partition)
            raise
        finally:
            _CURRENT.reset(token)
        try:
            await asyncio.gather(*transaction.sent)
            await producer.send_offsets_to_transaction({tp: offset + 1}, self._group)
            await producer.commit_transaction()
        except KafkaError as error:
            await self._abort(tp, partition)
            raise TransactionFailed(type(error).__name__) from error
        partition.expected = partition.done_below = offset + 1
        return True

    async def close(self) -> None:
        partitions, self._partitions = list(self._partitions.values()), {}
        for partition in partitions:
            await partition.producer.stop()
        if self._admin is not None:
            await self._admin.close()

    async def _open(self, tp: TopicPartition) -> _Partition:
        producer = AIOKafkaProducer(
            bootstrap_servers=self._bootstrap_servers,
            transactional_id=f"{self._group}.{tp.partition}",
            acks="all",
            enable_idempotence=True,
            **self._login,
        )
        await producer.start()
        # Another record of the partition may have opened one meanwhile: one producer per id.
        if tp in self._partitions:
            await producer.stop()
            return self._partitions[tp]
        self._partitions[tp] = _Partition(producer)
        return self._partitions[tp]

    async def _committed(self, tp: TopicPartition, producer: AIOKafkaProducer) -> int:
        """The group's committed offset, read after an (empty) transaction of this producer:
        Kafka lets a producer begin only once the transactions of its fenced predecessor ended."""
        await producer.begin_transaction()
        await producer.commit_transaction()  # empty: ends without a request
        assert self._admin is not None, "start() first"
        offsets = await self._admin.list_consumer_group_offsets(self._group, partitions=[tp])
        committed = offsets.get(tp)
        return committed.offset if committed is not None and committed.offset >= 0 else 0

    async def _abort(self, tp: TopicPartition, partition: _Partition) -> None:
        """Aborts the transaction; a producer that cannot (fenced by a newer owner, or broken)
        is replaced by a new one at the partition's next record."""
        partition.expected = None
        try:
            await partition.producer.abort_transaction()
        except Exception as error:
            log.warning(
                "could not abort the transaction of %s (%s); its producer is replaced",
                tp,
                type(error).__name__,
            )
            if self._partitions.get(tp) is partition:
                del self._partitions[tp]
            await partition.producer.stop()
