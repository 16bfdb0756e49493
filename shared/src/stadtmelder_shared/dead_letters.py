"""Records that cannot be handled go to `<topic>.dlq` with a reason, logged without their
payload and counted, so the consumer moves on instead of blocking its partition."""

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from aiokafka import ConsumerRecord
from aiokafka.errors import MessageSizeTooLargeError
from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import BaseModel, ValidationError

from stadtmelder_shared import topics
from stadtmelder_shared.cloudevents import SPEC_VERSION

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
REASON_LIMIT = 500
# Marks a record whose headers FastStream could not read (not UTF-8, or a header without a
# value); set by `lenient_parser` to why, read by `decode`.
UNREADABLE_HEADERS = "stadtmelder-unreadable-headers"
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class Undecodable(Exception):
    """No event of the handler's: `kind` is a metric label, `reason` holds no payload."""

    def __init__(self, kind: str, reason: str) -> None:
        super().__init__(reason)
        self.kind = kind
        self.reason = reason


class Rejected(Exception):
    """Raised by a handler for a well-formed record it can never apply; it goes to the
    dead-letter topic at once. `reason` is our own sentence and must hold no personal data."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class NotOurs(Exception):
    """A CloudEvents type the handler does not know: skipped on a topic that carries several
    kinds (a newer kind of event), dead-lettered on a topic of one kind."""


@dataclass(frozen=True)
class Origin:
    """Where a record came from, for handlers that consume several topics by pattern."""

    topic: str
    partition: int
    offset: int


@runtime_checkable
class DeadLetterCounter(Protocol):
    """Counts dead-lettered records in a service's metrics; found among the broker's middlewares."""

    def count_dead_letter(self, topic: str, kind: str) -> None: ...


def record_of(message: KafkaMessage) -> "ConsumerRecord[Any, Any]":
    # One record per message: no subscriber of ours consumes in batches.
    return cast("ConsumerRecord[Any, Any]", message.raw_message)


def origin_of(message: KafkaMessage) -> Origin:
    record = record_of(message)
    return Origin(str(record.topic), int(record.partition), int(record.offset))


async def lenient_parser(record: "ConsumerRecord[Any, Any]", parse: Any) -> Any:
    """FastStream's parser, except that headers it cannot read do not stop the consumer.

    FastStream decodes headers before any handler runs; one header that is not UTF-8, or has
    no value at all, would fail the record outside our reach, unacknowledged and never
    dead-lettered. Here such headers are read as far as they go and the record is marked, so
    `decode` dead-letters it.
    """
    try:
        return await parse(record)
    except Exception as error:
        why = "headers are not UTF-8" if isinstance(error, UnicodeDecodeError) else None
        record.headers = [
            *((str(name), _readable(value)) for name, value in record.headers or ()),
            (UNREADABLE_HEADERS, (why or "headers are not readable").encode()),
        ]
        return await parse(record)


def _readable(value: object) -> bytes:
    if isinstance(value, bytes):
        return value.decode(errors="replace").encode()
    return b""


async def raw_body(message: KafkaMessage, decode: Any) -> bytes:
    """The body as it came: `decode` reads it into the handler's event. FastStream's own
    decoder would raise outside our reach for a body said to be JSON that is not."""
    return message.body


def decode(message: KafkaMessage, models: Sequence[type[M]]) -> M:
    """The record as one of `models`, chosen by its `ce_type` header; raises `Undecodable` for
    what no version of the handler could read, `NotOurs` for a kind of event it does not know."""
    headers = message.headers or {}
    if UNREADABLE_HEADERS in headers:
        raise Undecodable("bad_headers", headers[UNREADABLE_HEADERS])
    spec_version = headers.get("ce_specversion")
    if spec_version is not None and spec_version != SPEC_VERSION:
        raise Undecodable("bad_headers", "ce_specversion is not 1.0")
    model = _model_for(headers.get("ce_type"), models)
    try:
        event = model.model_validate_json(message.body)
    except ValidationError as error:
        raise Undecodable("invalid", _problems(error)) from None
    expected = model.model_fields.get("schema_version")
    version = getattr(event, "schema_version", None)
    if expected is not None and version != expected.default:
        raise Undecodable("unsupported_version", f"schema_version {version} is not supported")
    return event


def _model_for(kind: str | None, models: Sequence[type[M]]) -> type[M]:
    typed = {getattr(model, "type", None): model for model in models}
    if kind is not None and None not in typed:
        if kind not in typed:
            raise NotOurs(kind)
        return typed[kind]
    if len(models) == 1:
        return models[0]
    raise Undecodable("bad_headers", "ce_type is missing, and the topic carries several kinds")


def _problems(error: ValidationError) -> str:
    """Where and what kind of problem, never the input: it may hold personal data."""
    found = error.errors(include_input=False, include_url=False)
    if any(problem["type"] == "json_invalid" for problem in found):
        return "invalid: not JSON"
    described = [f"{_location(problem['loc'])} {problem['type']}" for problem in found[:5]]
    more = f" (and {len(found) - 5} more)" if len(found) > 5 else ""
    return f"invalid: {'; '.join(described)}{more}"


def _location(parts: tuple[int | str, ...]) -> str:
    # Keys of free-form maps (answers) are the sender's words: only field names are shown.
    shown = [
        str(part) if isinstance(part, int) or _FIELD_NAME.fullmatch(part) else "*" for part in parts
    ]
    return ".".join(shown) or "body"


async def dead_letter(
    broker: KafkaBroker, message: KafkaMessage, group: str, kind: str, reason: str
) -> None:
    """Put the record as it came on `<topic>.dlq`, with why and from where; log and count it."""
    record = record_of(message)
    origin = origin_of(message)
    headers = {str(k): str(v) for k, v in (message.headers or {}).items()}
    headers.pop(UNREADABLE_HEADERS, None)
    headers.update(
        {
            "dlq_reason": reason[:REASON_LIMIT],
            "dlq_topic": origin.topic,
            "dlq_partition": str(origin.partition),
            "dlq_offset": str(origin.offset),
            "dlq_group": group,
        }
    )
    parked = topics.dead_letter(origin.topic)
    try:
        await broker.publish(message.body, parked, key=record.key, headers=headers)
    except MessageSizeTooLargeError:
        # Near the size limit, our headers can tip it over; parked without its body, it still
        # says where it is on its topic, instead of being retried forever.
        headers["dlq_body"] = "left out: too large with the dead-letter headers"
        await broker.publish(b"", parked, key=record.key, headers=headers)
    # Topic, partition and offset find the record; the body and headers are not logged.
    log.error(
        "a record could not be handled and went to the dead-letter topic: %s",
        reason[:REASON_LIMIT],
        extra={
            "topic": origin.topic,
            "partition": origin.partition,
            "offset": origin.offset,
            "consumer_group": group,
            "dead_letter_kind": kind,
        },
    )
    for middleware in broker.middlewares:
        if isinstance(middleware, DeadLetterCounter):
            middleware.count_dead_letter(origin.topic, kind)


def is_dead_letter_topic(topic: str) -> bool:
    return topic.endswith(topics.dead_letter(""))
