"""Poison messages go to `<topic>.dlq` with the reason, so the consumer keeps running."""

import logging
from typing import Any, TypeVar

from faststream.kafka import KafkaBroker, KafkaMessage
from pydantic import ValidationError

from stadtmelder_shared import topics
from stadtmelder_shared.events import Event

log = logging.getLogger(__name__)
E = TypeVar("E", bound=Event)


def _reason(error: ValidationError) -> str:
    problems = [
        f"{'.'.join(str(part) for part in e['loc']) or 'body'}: {e['msg']}" for e in error.errors()
    ]
    return "; ".join(problems)[:500]


async def decode_or_dead_letter(
    message: KafkaMessage, model: type[E], broker: KafkaBroker
) -> E | None:
    """The event in `message`, or None after moving an undecodable message to the DLQ."""
    try:
        return model.model_validate_json(message.body)
    except ValidationError as error:
        reason = _reason(error)
    record: Any = message.raw_message
    topic = str(record.topic)
    headers = {str(k): str(v) for k, v in (message.headers or {}).items()}
    headers.update(
        {
            "dlq_reason": reason,
            "dlq_topic": topic,
            "dlq_partition": str(record.partition),
            "dlq_offset": str(record.offset),
        }
    )
    await broker.publish(message.body, topics.dead_letter(topic), key=record.key, headers=headers)
    log.error(
        "message could not be read and went to the dead-letter topic: %s",
        reason,
        extra={"topic": topic, "partition": record.partition, "offset": record.offset},
    )
    return None
