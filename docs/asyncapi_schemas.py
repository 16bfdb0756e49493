"""The components of the event contract: the payload schemas from the event models, the
CloudEvents and dead-letter headers, and one message per model."""

from typing import Any

from asyncapi_channels import CHANNELS, SOURCES
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from stadtmelder_shared import cloudevents
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.sensor_readings import Reading

REF = "#/components/schemas/{model}"
KAFKA_BINDING = "0.5.0"

CLOUDEVENT_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "CloudEvents 1.0, Kafka protocol binding, binary content mode.",
    "required": ["ce_specversion", "ce_id", "ce_type", "ce_source", "ce_time", "ce_subject"],
    "properties": {
        "ce_specversion": {"type": "string", "const": cloudevents.SPEC_VERSION},
        "ce_id": {"type": "string", "description": "The event's event_id."},
        "ce_type": {"type": "string", "description": "The event type, e.g. its class's type."},
        "ce_source": {"type": "string", "description": "The sending service."},
        "ce_time": {"type": "string", "format": "date-time", "description": "occurred_at."},
        "ce_subject": {
            "type": "string",
            "description": "The Kafka key: the report id, or a reading's vehicle or container id.",
        },
        "content-type": {"type": "string", "const": "application/json"},
        "traceparent": {"type": "string", "description": "W3C trace context, when traced."},
    },
}
DEAD_LETTER_HEADERS: dict[str, Any] = {
    "type": "object",
    "description": "The parked record's own headers, plus why and from where it came.",
    "required": ["dlq_reason", "dlq_topic"],
    "properties": {
        "dlq_reason": {"type": "string", "description": "Why it could not be handled."},
        "dlq_topic": {"type": "string", "description": "The topic it came from."},
        "dlq_partition": {"type": "string"},
        "dlq_offset": {"type": "string"},
        "dlq_group": {"type": "string", "description": "The consumer group that parked it."},
        "dlq_body": {"type": "string", "description": "Set when the body was left out."},
    },
}


def payload_schemas() -> dict[str, Any]:
    """Every payload's JSON Schema by model name, references pointing into components."""
    events = {model for channel in CHANNELS for model in channel.models}
    sent = sorted((m for m in events if issubclass(m, Event)), key=lambda m: m.__name__)
    received = sorted((m for m in events if not issubclass(m, Event)), key=lambda m: m.__name__)
    _, generated = models_json_schema(
        [(m, "serialization") for m in sent] + [(m, "validation") for m in received],
        ref_template=REF,
    )
    schemas: dict[str, Any] = generated["$defs"]
    # Our events are sent with every field, defaults and nulls included, as the work-item
    # contract says; what department systems send may leave out what has a default.
    for name, schema in schemas.items():
        if name not in {m.__name__ for m in received} and "properties" in schema:
            schema["required"] = list(schema["properties"])
    return dict(sorted(schemas.items()))


def message(model: type[BaseModel], senders: list[str]) -> dict[str, Any]:
    name = model.__name__
    # Alerts are about no single report: their key is the subscription id (see the model).
    keyed_by = {
        "AreaAlert": "subscription",
        "RoadRoughness": "vehicle",
        "ContainerFill": "container",
    }
    keyed_by_prefix = next((k for k in keyed_by if name.startswith(k)), None)
    key = keyed_by[keyed_by_prefix] if keyed_by_prefix else "report"
    message: dict[str, Any] = {
        "name": name,
        "title": name,
        "contentType": "application/json",
        "payload": {"$ref": REF.format(model=name)},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": f"The {key} id, UTF-8."},
                "bindingVersion": KAFKA_BINDING,
            }
        },
    }
    if model.__doc__:
        message["summary"] = model.__doc__.strip().splitlines()[0]
    if issubclass(model, Event | Reading):
        sources = [SOURCES[s] for s in senders if s in SOURCES]
        # Sensors name themselves as their vendor's gateway does; our services are listed.
        own: dict[str, Any] = {"ce_type": {"const": model.type}}
        if sources:
            own["ce_source"] = {"enum": sources}
        message["headers"] = {
            "allOf": [{"$ref": REF.format(model="CloudEventHeaders")}, {"properties": own}]
        }
    return message
