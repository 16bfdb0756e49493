"""What runs around every handler: decode its typed event, retry what may pass, and
dead-letter what never will, so that no record can block its partition."""

import asyncio
import inspect
import logging
import types
import typing
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import BaseModel
from pymongo.errors import ConnectionFailure, PyMongoError

from stadtmelder_shared.backoff import Backoff
from stadtmelder_shared.dead_letters import (
    NotOurs,
    Rejected,
    Undecodable,
    dead_letter,
    decode,
    is_dead_letter_topic,
    origin_of,
)

log = logging.getLogger(__name__)
Handler = Callable[..., Awaitable[None]]
# The database, Kafka or a mail server away: the record is fine and must not be lost, so it is
# redelivered (FastStream seeks back to it) until they are back.
ALWAYS_RETRIED: tuple[type[BaseException], ...] = (
    ConnectionFailure,  # AutoReconnect, NotPrimaryError, ServerSelectionTimeoutError
    KafkaConnectionError,
    KafkaTimeoutError,
    OSError,  # sockets, timeouts, SMTP errors: the machine's surroundings, not the record
)


HANDLER_PAUSE = Backoff(first_s=0.2, longest_s=2.0)


@dataclass(frozen=True)
class RetryPolicy:
    """What a consumer does when its handler fails. A transient failure (`is_transient`: the
    machine's surroundings, or one of the service's `retried` errors) leaves the record to be
    redelivered; a handler that fails for another reason (a bug, bad data that passed the
    schema) is tried `attempts` times, pausing longer each time, before its record is
    dead-lettered."""

    retried: tuple[type[BaseException], ...] = ()
    attempts: int = 5
    backoff: Backoff = HANDLER_PAUSE


DEFAULT_RETRY_POLICY = RetryPolicy()


# Labels the server puts on an error when the same write may succeed if sent again.
RETRYABLE_MONGO_LABELS = ("RetryableWriteError", "TransientTransactionError")


def is_transient(error: BaseException, retried: tuple[type[BaseException], ...] = ()) -> bool:
    if isinstance(error, BaseExceptionGroup):
        # A TaskGroup reports its first failure together with the ones it caused (cancelled
        # siblings, follow-up errors): one transient member means the record may pass later.
        return any(is_transient(member, retried) for member in error.exceptions)
    if isinstance(error, ALWAYS_RETRIED + retried):
        return True
    if isinstance(error, KafkaError):
        return bool(error.retriable)
    if isinstance(error, PyMongoError):
        return error.timeout or any(map(error.has_error_label, RETRYABLE_MONGO_LABELS))
    return False


def event_models(handler: Handler) -> tuple[type[BaseModel], ...]:
    """The model(s) of the handler's first parameter: `event: ReportRouted`, or a union whose
    members are told apart by their CloudEvents type."""
    first = next(iter(inspect.signature(handler).parameters), None)
    hints = typing.get_type_hints(handler)
    if first is None or first not in hints:
        raise TypeError(f"{handler.__name__} must take its event as a typed first parameter")
    annotation = hints[first]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        models = typing.get_args(annotation)
    else:
        models = (annotation,)
    if not all(isinstance(m, type) and issubclass(m, BaseModel) for m in models):
        raise TypeError(f"{handler.__name__}'s event must be a pydantic model, not {annotation}")
    return models


def handling(
    handler: Handler,
    broker: KafkaBroker,
    group: str,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    model: type[BaseModel] | Mapping[str, type[BaseModel]] | None = None,
) -> Callable[[KafkaMessage], Awaitable[None]]:
    """The FastStream handler that decodes each record for `handler` and calls it.

    Returns normally once the record is handled, skipped or dead-lettered, so it is committed
    then; raises only for a transient failure, so the record comes again. The event's `model`
    is read from the handler's first parameter unless given (one, or one per topic), as for a
    handler that serves several kinds of event.
    """
    by_topic: Mapping[str, type[BaseModel]] = {}
    models: tuple[type[BaseModel], ...] = ()
    if isinstance(model, Mapping):
        by_topic = model
    else:
        models = event_models(handler) if model is None else (model,)
    with_origin = len(inspect.signature(handler).parameters) > 1

    async def handle(message: KafkaMessage) -> None:
        origin = origin_of(message)
        if is_dead_letter_topic(origin.topic):
            return  # a pattern may match dead-letter topics too: never read them back
        models_here = (by_topic[origin.topic],) if by_topic else models
        try:
            event = decode(message, models_here)
        except NotOurs as unknown:
            kind = str(unknown)[:100]
            if len(models_here) > 1:
                # A topic of several kinds may gain one; its newer consumers will read it.
                log.warning("a record of unknown type %r skipped", kind)
                return
            # A topic of one kind: a record of another cannot be ours, nor will it ever be.
            reason = f"ce_type {kind!r} is not {_type_of(models_here[0])!r}"
            await dead_letter(broker, message, group, "bad_headers", reason)
            return
        except Undecodable as problem:
            await dead_letter(broker, message, group, problem.kind, problem.reason)
            return
        for attempt in range(1, policy.attempts + 1):
            try:
                await (handler(event, origin) if with_origin else handler(event))
                return
            except Rejected as rejection:
                await dead_letter(broker, message, group, "rejected", rejection.reason)
                return
            except Exception as error:
                if is_transient(error, policy.retried):
                    raise
                failure = _described(error)
                if attempt == policy.attempts:
                    reason = f"{failure} after {attempt} attempts"
                    await dead_letter(broker, message, group, "handler_failed", reason)
                    return
                # The exception's message may quote personal data: its type and place only.
                log.warning(
                    "%s failed with %s (attempt %d of %d); trying again",
                    handler.__name__,
                    failure,
                    attempt,
                    policy.attempts,
                    extra={"topic": origin.topic, "partition": origin.partition},
                )
            await asyncio.sleep(policy.backoff.after(attempt))

    # Not functools.wraps: FastStream would read the handler's signature through __wrapped__.
    handle.__name__ = handler.__name__
    handle.__qualname__ = handler.__qualname__
    handle.__doc__ = handler.__doc__
    return handle


def _type_of(model: type[BaseModel]) -> str:
    return str(getattr(model, "type", model.__name__))


def _described(error: BaseException) -> str:
    where = _where(error)
    return f"{type(error).__name__} in {where}" if where else type(error).__name__


def _where(error: BaseException) -> str:
    frames = inspect.getinnerframes(error.__traceback__, context=0) if error.__traceback__ else []
    if not frames:
        return ""
    last = frames[-1]
    return f"{last.function} ({last.filename.rsplit('/', 1)[-1]}:{last.lineno})"
