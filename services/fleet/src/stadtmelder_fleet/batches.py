"""Sensor readings consumed in batches: hundreds of records per Kafka fetch, each decoded on its
own and checked together (a bad one goes to the dead-letter topic with its reason, as with the
shared `consumer`), the batch's offsets committed only when its owner says its effect is saved.

A reading costs a few dozen microseconds in memory; committing each one, as the shared consumer
does for events, costs a round trip to Kafka and capped the fleet at a few hundred a second.
"""

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeAlias, TypeVar, cast

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from aiokafka.errors import CommitFailedError, IllegalStateError, KafkaError
from faststream import AckPolicy
from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import BaseModel, ValidationError

from stadtmelder_shared.cloudevents import SPEC_VERSION
from stadtmelder_shared.consumers import is_transient
from stadtmelder_shared.dead_letters import (
    UNREADABLE_HEADERS,
    NotOurs,
    Rejected,
    Undecodable,
    dead_letter,
    decode,
    lenient_parser,
    raw_body,
)
from stadtmelder_shared.kafka import group_for

log = logging.getLogger(__name__)
Record: TypeAlias = "ConsumerRecord[Any, Any]"
M = TypeVar("M", bound=BaseModel)
# What is wrong with each reading of a batch, in order: None for a usable one.
Check = Callable[[list[Any]], Awaitable[list[Rejected | None]]]
# Up to this many records per fetch; a fetch waits at most this long for them, which bounds
# what batching adds to a reading's way to a report.
MAX_RECORDS = 1_000
BATCH_WAIT_MS = 50
# A database or Kafka away: the batch is read again after this pause, not in a tight loop.
RETRY_PAUSE_S = 1.0


class Offsets:
    """How far a consumer's batches are handled, per partition, and the commit of that."""

    def __init__(self) -> None:
        self._handled: dict[TopicPartition, int] = {}
        self._consumer: AIOKafkaConsumer | None = None

    def handled(self, records: Sequence[Record], consumer: Any) -> None:
        for record in records:
            tp = TopicPartition(record.topic, record.partition)
            self._handled[tp] = max(self._handled.get(tp, 0), record.offset + 1)
        if isinstance(consumer, AIOKafkaConsumer):
            self._consumer = consumer

    def taken(self) -> dict[TopicPartition, int]:
        """What is handled now: take it before saving, commit it after."""
        return dict(self._handled)

    async def commit(self, offsets: dict[TopicPartition, int] | None = None) -> None:
        offsets = self.taken() if offsets is None else offsets
        if not offsets or self._consumer is None:
            return
        try:
            await self._consumer.commit(offsets)
        except (CommitFailedError, IllegalStateError, KafkaError) as error:
            # Partitions taken away, or Kafka away: they are read again from the last commit,
            # which the owner's handling tolerates (a reading seen twice counts once).
            log.warning("committing the handled readings failed: %s", type(error).__name__)
            return
        for tp, offset in offsets.items():
            if self._handled.get(tp) == offset:
                del self._handled[tp]


class View:
    """One record of a batch as the shared dead-letter and decode functions read a message."""

    def __init__(self, record: Record, headers: dict[str, str], body: bytes) -> None:
        self.raw_message, self.headers, self.body = record, headers, body


def batch_consumer(
    broker: KafkaBroker,
    topic: str,
    service_group: str,
    model: type[M],
    handle: Callable[[list[M]], Awaitable[None]],
    check: Check,
    offsets: Offsets,
    *,
    commit_each_batch: bool = False,
) -> None:
    """Subscribe `handle` to batches of `topic`'s readings that decode as `model` and pass
    `check` (which may read the database). Records that do not are dead-lettered one by one.
    A transient failure (database or Kafka away) reads the whole batch again; the handler must
    tolerate seeing a reading twice. Offsets are committed after each batch with
    `commit_each_batch`, else whenever the owner calls `offsets.commit()`."""
    group = group_for(service_group, topic)
    plain = _plain_reader(model)

    async def on_batch(message: KafkaMessage) -> None:
        records = cast("tuple[ConsumerRecord[Any, Any], ...]", message.raw_message)
        views, decoded = [], []
        for number, record in enumerate(records):
            view = View(record, message.batch_headers[number], cast(bytes, message.body[number]))
            reading = plain(view) or await _decoded(broker, view, group, model)
            if reading is not None:
                views.append(view)
                decoded.append(reading)
        good: list[M] = []
        for view, reading, rejection in zip(views, decoded, await check(decoded), strict=True):
            if rejection is None:
                good.append(reading)
            else:
                await dead_letter(broker, _as_message(view), group, "rejected", rejection.reason)
        try:
            await handle(good)
        except Exception as error:
            if not is_transient(error):
                raise
            log.warning("a batch of %s failed (%s); reading it again", topic, type(error).__name__)
            await asyncio.sleep(RETRY_PAUSE_S)
            await message.nack()  # back to each partition's first record of the batch
            return
        offsets.handled(records, message.consumer)
        if commit_each_batch:
            await offsets.commit()

    on_batch.__name__ = on_batch.__qualname__ = f"on_{topic.replace('.', '_').replace('-', '_')}"
    # As the shared consumers: from the start of a new topic, never replying where a sender
    # names; but in batches, committed by `offsets`, headers and bodies read record by record.
    subscribe = broker.subscriber(
        topic, group_id=group, auto_offset_reset="earliest", no_reply=True,
        batch=True, max_records=MAX_RECORDS, batch_timeout_ms=BATCH_WAIT_MS,
        ack_policy=AckPolicy.MANUAL, parser=lenient_batch_parser, decoder=raw_body,
    )  # fmt: skip
    subscribe(on_batch)


def _plain_reader(model: type[M]) -> Callable[[View], M | None]:
    """What `decode` makes of a record with the usual headers and a valid body, without its
    checks' cost per record (a third of a reading's decoding); None for any other record, which
    `decode` then reads and dead-letters as it always did."""
    kind = getattr(model, "type", None)
    field = model.model_fields.get("schema_version")
    version = None if field is None else field.default

    def read(view: View) -> M | None:
        headers = view.headers
        if (
            kind is None
            or headers.get("ce_type") != kind
            or headers.get("ce_specversion", SPEC_VERSION) != SPEC_VERSION
            or UNREADABLE_HEADERS in headers
        ):
            return None
        try:
            reading = model.model_validate_json(view.body)
        except ValidationError:
            return None
        return reading if getattr(reading, "schema_version", None) == version else None

    return read


async def _decoded(broker: KafkaBroker, view: View, group: str, model: type[M]) -> M | None:
    message = _as_message(view)
    try:
        return decode(message, (model,))
    except NotOurs as unknown:
        reason = f"ce_type {str(unknown)[:100]!r} is not {getattr(model, 'type', '')!r}"
        await dead_letter(broker, message, group, "bad_headers", reason)
    except Undecodable as problem:
        await dead_letter(broker, message, group, problem.kind, problem.reason)
    return None


def _as_message(view: View) -> KafkaMessage:
    return cast(KafkaMessage, view)


async def lenient_batch_parser(records: tuple[Record, ...], parse: Any) -> Any:
    """The shared lenient parser for each record of a batch: a header that is not UTF-8 marks
    its record for the dead-letter topic instead of failing the whole batch. FastStream reads
    a batch whose headers are all readable at once; only one that fails is read record by
    record."""
    try:
        return await parse(records)
    except Exception:
        for record in records:
            await lenient_parser(record, _headers_of)
        return await parse(records)


async def _headers_of(record: Record) -> dict[str, str]:
    return {str(name): value.decode() for name, value in record.headers or ()}
