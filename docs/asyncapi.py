"""Writes docs/asyncapi.yaml, the published event contract, from the event models and a table
of who sends and who receives each topic: `make asyncapi`; a test fails when the two drift."""

import sys
from dataclasses import dataclass
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic.json_schema import models_json_schema

from stadtmelder_reports.staff.updates import DepartmentUpdate
from stadtmelder_shared import cloudevents, topics
from stadtmelder_shared.alert_events import (
    AreaAlertCancelled,
    AreaAlertConfirmed,
    AreaAlertRequested,
)
from stadtmelder_shared.citizen_events import (
    CitizenNotified,
    ContactDataErased,
    FeedbackReceived,
    NotificationPreferencesChanged,
    PushSubscriptionChanged,
    ReportSupported,
    SupporterConfirmed,
)
from stadtmelder_shared.emptying_plans import (
    EmptyingPlanMade,
    EmptyingPlanRefused,
    EmptyingPlanRequested,
)
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.report_events import (
    ReportCommented,
    ReportModerated,
    ReportOverdue,
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
    ReportUnroutable,
)
from stadtmelder_shared.road_conditions import RoadConditionsChanged
from stadtmelder_shared.road_damage import RoadDamageCleared, RoadDamageDetected
from stadtmelder_shared.sensor_readings import ContainerFillReading, Reading, RoadRoughnessReading
from stadtmelder_shared.work_item_events import WorkItemQueued, WorkItemSendFailed
from stadtmelder_shared.works import WorksChanged

REF = "#/components/schemas/{model}"
KAFKA_BINDING = "0.5.0"
SOURCES = {
    service: f"/stadtmelder/{service}" for service in ("reports", "routing", "notify", "fleet")
}
VEHICLE_SENSORS = "vehicle sensors"
CONTAINER_SENSORS = "container sensors"
DEPARTMENT_SYSTEMS = "department systems"


@dataclass(frozen=True)
class Channel:
    key: str
    address: str
    description: str
    models: tuple[type[BaseModel], ...]


@dataclass(frozen=True)
class Send:
    service: str
    channel: str
    how: str


@dataclass(frozen=True)
class Receive:
    service: str
    group: str
    handler: str
    channel: str
    models: tuple[type[BaseModel], ...] = ()  # all of the channel's, unless named


CHANNELS = (
    Channel("reports_submitted", topics.REPORTS_SUBMITTED, "New reports.", (ReportSubmitted,)),
    Channel("reports_routed", topics.REPORTS_ROUTED, "Who is responsible.", (ReportRouted,)),
    Channel(
        "reports_unroutable",
        topics.REPORTS_UNROUTABLE,
        "No rule matched: the report waits for a dispatcher.",
        (ReportUnroutable,),
    ),
    Channel(
        "reports_supported",
        topics.REPORTS_SUPPORTED,
        "Someone backs an existing report; a supporter's address is asked to confirm itself "
        "(double opt-in) and hears about the report's steps only once it did.",
        (ReportSupported, SupporterConfirmed),
    ),
    Channel(
        "reports_status_changed",
        topics.REPORTS_STATUS_CHANGED,
        "Steps of the department's work.",
        (ReportStatusChanged,),
    ),
    Channel(
        "reports_commented",
        topics.REPORTS_COMMENTED,
        "Public and internal comments on a report.",
        (ReportCommented,),
    ),
    Channel(
        "reports_moderated",
        topics.REPORTS_MODERATED,
        "Staff hid, showed or redacted what the public sees of a report.",
        (ReportModerated,),
    ),
    Channel("reports_overdue", topics.REPORTS_OVERDUE, "SLA runs out.", (ReportOverdue,)),
    Channel(
        "reports_citizen_notified",
        topics.CITIZENS_NOTIFIED,
        "A citizen was told about a step.",
        (CitizenNotified,),
    ),
    Channel(
        "reports_feedback_received",
        topics.REPORTS_FEEDBACK,
        'Answers to "is it fixed?".',
        (FeedbackReceived,),
    ),
    Channel(
        "departments_send_failed",
        topics.WORK_ITEMS_SEND_FAILED,
        "A send method kept failing for a work item.",
        (WorkItemSendFailed,),
    ),
    Channel(
        "departments_work",
        topics.department_work("{departmentId}"),
        "One department's work queue, for its own systems; the schema of its items is also "
        "published as docs/contracts/work-item.v1.schema.json. When someone has their contact "
        "data erased, a ContactDataErased (without recipient_key) follows on the same queue, "
        "in order after the item: delete whatever your system copied about that person.",
        (WorkItemQueued, ContactDataErased),
    ),
    Channel(
        "departments_updates",
        topics.department_updates("{departmentId}"),
        "Transitions a department's own system sends for its reports (ce_ headers optional).",
        (DepartmentUpdate,),
    ),
    Channel(
        "notify_preferences_changed",
        topics.NOTIFICATION_PREFERENCES,
        "Opt-outs and language choices of recipients.",
        (NotificationPreferencesChanged,),
    ),
    Channel(
        "notify_push_subscriptions",
        topics.PUSH_SUBSCRIPTIONS,
        "Browsers' Web Push subscriptions for a report.",
        (PushSubscriptionChanged,),
    ),
    Channel(
        "notify_area_alerts",
        topics.AREA_ALERTS,
        "Area alert subscriptions (double opt-in), keyed by subscription id.",
        (AreaAlertRequested, AreaAlertConfirmed, AreaAlertCancelled),
    ),
    Channel(
        "reports_contact_data_erased",
        topics.CONTACT_DATA_ERASED,
        "Someone had their contact data erased on request; never the address itself.",
        (ContactDataErased,),
    ),
    Channel(
        "sensors_road_roughness",
        topics.ROAD_ROUGHNESS,
        "Roughness the fleet's vehicles measure as they drive, keyed by vehicle id.",
        (RoadRoughnessReading,),
    ),
    Channel(
        "sensors_container_fill",
        topics.CONTAINER_FILL,
        "Fill levels the containers' sensors measure, keyed by container id.",
        (ContainerFillReading,),
    ),
    Channel(
        "fleet_road_damage",
        topics.ROAD_DAMAGE,
        "Road damage the fleet's vehicles found, and found repaired, keyed by the finding's id; "
        "reports creates an automatic report or attaches the evidence to one nearby.",
        (RoadDamageDetected, RoadDamageCleared),
    ),
    Channel(
        "fleet_road_conditions",
        topics.ROAD_CONDITIONS,
        "The condition class and evidence of road pieces whose evidence changed, in batches of "
        "one area, keyed by the area; reports keeps them for its road maps.",
        (RoadConditionsChanged,),
    ),
    Channel(
        "fleet_plan_requests",
        topics.PLAN_REQUESTS,
        "A dispatcher's request for a district's emptying plan for a day, keyed by district.",
        (EmptyingPlanRequested,),
    ),
    Channel(
        "fleet_emptying_plans",
        topics.EMPTYING_PLANS,
        "The emptying plan fleet computed on request, or why there is none, keyed by district; "
        "reports keeps the latest per district and day.",
        (EmptyingPlanMade, EmptyingPlanRefused),
    ),
    Channel(
        "works_changed",
        topics.WORKS_CHANGED,
        "The latest state of each known works (Baustelle), keyed by works (`works-<id>`); "
        "compacted, so a new consumer reads every works from the start. Consumers keep the "
        "highest revision; `withdrawn` removes works.",
        (WorksChanged,),
    ),
)
OUTBOX = "from the report's outbox, written with the change"
SENDS = (
    Send("reports", "reports_submitted", OUTBOX),
    Send("reports", "reports_supported", OUTBOX),
    Send("reports", "reports_status_changed", OUTBOX + " (staff API and department updates)"),
    Send("reports", "reports_commented", OUTBOX),
    Send("reports", "reports_moderated", OUTBOX),
    Send("reports", "reports_feedback_received", OUTBOX),
    Send("reports", "notify_preferences_changed", OUTBOX),
    Send("reports", "notify_push_subscriptions", OUTBOX),
    Send("reports", "notify_area_alerts", "from the alert subscription's outbox"),
    Send("reports", "reports_contact_data_erased", OUTBOX + " (tracking link, mail link)"),
    Send("routing", "reports_routed", "after deciding the department"),
    Send("routing", "reports_unroutable", "when no rule matched"),
    Send(
        "routing",
        "departments_work",
        "one item per routed report, to its department, and an erasure notice after it",
    ),
    Send("routing", "departments_send_failed", "when a send method gave up"),
    Send("routing", "reports_overdue", "by the SLA timer"),
    Send("notify", "reports_citizen_notified", "after a mail, webhook or push went out"),
    Send(DEPARTMENT_SYSTEMS, "departments_updates", "a department's own system"),
    Send(VEHICLE_SENSORS, "sensors_road_roughness", "a vehicle's box, about once a second"),
    Send(CONTAINER_SENSORS, "sensors_container_fill", "a container's sensor, a few times a day"),
    Send("fleet", "fleet_road_damage", "when a road piece crosses or falls back below the limit"),
    Send("fleet", "fleet_road_conditions", "after saving road pieces whose evidence changed"),
    Send("reports", "fleet_plan_requests", "when a dispatcher opens or renews a plan"),
    Send("fleet", "fleet_emptying_plans", "after computing a requested plan"),
    Send("reports", "works_changed", "by the works register's relay after an import or staff edit"),
)
RECEIVES = (
    Receive("reports", "reports", "on_report_routed", "reports_routed"),
    Receive("reports", "reports", "on_report_unroutable", "reports_unroutable"),
    Receive("reports", "reports", "on_citizen_notified", "reports_citizen_notified"),
    Receive("reports", "reports", "on_work_item_send_failed", "departments_send_failed"),
    Receive("reports", "reports.department-updates", "on_department_update", "departments_updates"),
    Receive("routing", "routing", "on_report_submitted", "reports_submitted"),
    Receive("routing", "routing", "on_report_status_changed", "reports_status_changed"),
    Receive("routing", "routing", "on_contact_data_erased", "reports_contact_data_erased"),
    Receive("routing", "routing", "on_works_changed", "works_changed"),
    Receive("notify", "notify", "on_report_submitted", "reports_submitted"),
    Receive("notify", "notify", "on_report_routed", "reports_routed"),
    Receive("notify", "notify", "on_report_supported", "reports_supported"),
    Receive("notify", "notify", "on_report_unroutable", "reports_unroutable"),
    Receive("notify", "notify", "on_report_status_changed", "reports_status_changed"),
    Receive("notify", "notify", "on_report_overdue", "reports_overdue"),
    Receive(
        "notify", "notify", "on_notification_preferences_changed", "notify_preferences_changed"
    ),
    Receive("notify", "notify", "on_push_subscription_changed", "notify_push_subscriptions"),
    Receive("notify", "notify", "on_contact_data_erased", "reports_contact_data_erased"),
    Receive("notify", "notify-alerts", "on_area_alert_event", "notify_area_alerts"),
    Receive("notify", "notify-alerts", "on_report_routed_for_alerts", "reports_routed"),
    Receive(DEPARTMENT_SYSTEMS, "chosen by the department", "its own", "departments_work"),
    Receive("fleet", "fleet", "on_road_roughness", "sensors_road_roughness"),
    Receive("reports", "reports", "on_road_damage", "fleet_road_damage"),
    Receive("fleet", "fleet", "on_container_fill", "sensors_container_fill"),
    Receive("fleet", "fleet", "on_report_submitted", "reports_submitted"),
    Receive("reports", "reports", "on_road_conditions", "fleet_road_conditions"),
    Receive("fleet", "fleet", "on_plan_requested", "fleet_plan_requests"),
    Receive("reports", "reports", "on_emptying_plan", "fleet_emptying_plans"),
    Receive("reports", "reports.statistics", "count_submitted", "reports_submitted"),
    Receive("reports", "reports.statistics", "count_routed", "reports_routed"),
    Receive("reports", "reports.statistics", "count_unroutable", "reports_unroutable"),
    Receive("reports", "reports.statistics", "count_status_change", "reports_status_changed"),
    Receive("reports", "reports.statistics", "count_moderated", "reports_moderated"),
)

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


def _message(model: type[BaseModel], senders: list[str]) -> dict[str, Any]:
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


def _channel(channel: Channel) -> dict[str, Any]:
    described: dict[str, Any] = {
        "address": channel.address,
        "description": channel.description,
        "messages": {
            m.__name__: {"$ref": f"#/components/messages/{m.__name__}"} for m in channel.models
        },
    }
    if "{departmentId}" in channel.address:
        described["parameters"] = {
            "departmentId": {"description": "A department id of the department directory."}
        }
    return described


def _operation(action: str, channel: str, description: str, models: Any) -> dict[str, Any]:
    return {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel}"},
        "description": description,
        "messages": [{"$ref": f"#/channels/{channel}/messages/{m.__name__}"} for m in models],
    }


def _operations() -> dict[str, Any]:
    by_key = {channel.key: channel for channel in CHANNELS}
    operations: dict[str, Any] = {}
    for send in SENDS:
        channel = by_key[send.channel]
        key = f"{_slug(send.service)}_to_{send.channel}"
        how = f"{send.service}: {send.how}."
        operations[key] = _operation("send", send.channel, how, channel.models)
    for receive in RECEIVES:
        channel = by_key[receive.channel]
        ours = receive.service in SOURCES
        name = receive.handler if ours else f"from_{receive.channel}"
        key = f"{_slug(receive.service)}_{name}"
        operation = _operation(
            "receive",
            receive.channel,
            f"{receive.service}, consumer group `{receive.group}`: `{receive.handler}`.",
            receive.models or channel.models,
        )
        if ours:
            operation["bindings"] = {
                "kafka": {
                    "groupId": {"type": "string", "enum": [receive.group]},
                    "bindingVersion": KAFKA_BINDING,
                }
            }
        operations[key] = operation
    operations["every_service_to_dead_letters"] = {
        "action": "send",
        "channel": {"$ref": "#/channels/dead_letters"},
        "description": "Every consumer, through the shared wiring, parks what it cannot handle.",
        "messages": [{"$ref": "#/channels/dead_letters/messages/DeadLetter"}],
    }
    return operations


def _slug(service: str) -> str:
    return service.replace(" ", "_")


def document() -> dict[str, Any]:
    senders: dict[type[BaseModel], list[str]] = {}
    for send in SENDS:
        for model in next(c for c in CHANNELS if c.key == send.channel).models:
            senders.setdefault(model, []).append(send.service)
    messages = {m.__name__: _message(m, senders.get(m, [])) for c in CHANNELS for m in c.models}
    messages["DeadLetter"] = {
        "name": "DeadLetter",
        "summary": "A record that could not be handled, parked as it came.",
        "headers": {"$ref": REF.format(model="DeadLetterHeaders")},
        "payload": {"description": "The record's body, unchanged; empty when left out."},
    }
    channels = {channel.key: _channel(channel) for channel in CHANNELS}
    channels["dead_letters"] = {
        "address": topics.dead_letter("{topic}"),
        "description": "Where each consumer parks records of `topic` it can never handle.",
        "parameters": {"topic": {"description": "The topic the record came from."}},
        "messages": {"DeadLetter": {"$ref": "#/components/messages/DeadLetter"}},
    }
    return {
        "asyncapi": "3.0.0",
        "info": {
            "title": "Stadtmelder events",
            "version": "1",
            "description": (
                "The events Stadtmelder's services exchange over Kafka. Every record is keyed "
                "by its report id, so one report's events stay on one partition, in order "
                "(sensor readings by the vehicle or container that measured them). "
                "Generated by docs/asyncapi.py from the pydantic models in the *_events.py "
                "modules of shared/src/stadtmelder_shared: run `make asyncapi` after a change."
            ),
        },
        "defaultContentType": "application/json",
        "servers": {
            "local": {
                "host": "127.0.0.1:9092",
                "protocol": "kafka",
                "description": "`make run`; in a cluster, KAFKA_BOOTSTRAP_SERVERS names it.",
            }
        },
        "channels": channels,
        "operations": _operations(),
        "components": {
            "messages": messages,
            "schemas": {
                "CloudEventHeaders": CLOUDEVENT_HEADERS,
                "DeadLetterHeaders": DEAD_LETTER_HEADERS,
                **payload_schemas(),
            },
        },
    }


def document_text() -> str:
    return yaml.safe_dump(document(), sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    sys.stdout.write(document_text())
