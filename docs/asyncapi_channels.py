"""The table of the event contract: each topic's channel with its models, and which service
or outside system sends and receives it (docs/asyncapi.py renders it)."""

from dataclasses import dataclass

from pydantic import BaseModel

from stadtmelder_reports.commands.domain import ReportCommandDone, ReportCommandRequested
from stadtmelder_reports.staff.updates import DepartmentUpdate
from stadtmelder_shared import topics
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
from stadtmelder_shared.sensor_readings import ContainerFillReading, RoadRoughnessReading
from stadtmelder_shared.work_item_events import WorkItemQueued, WorkItemSendFailed
from stadtmelder_shared.works import WorksChanged

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
        "reports_commands",
        topics.REPORTS_COMMANDS,
        "Writes to an existing report asked over HTTP on any replica of reports (staff steps, "
        "comments, assignments, moderation) or a citizen's link (feedback, erasure), keyed by "
        "report id, applied once per `event_id` "
        "by the replica that owns the report's partition, the report's one writer. Internal "
        "to reports; kept one day.",
        (ReportCommandRequested,),
    ),
    Channel(
        "reports_command_results",
        topics.REPORTS_COMMAND_RESULTS,
        "What became of each command (`command_id`): applied, or the error that refused it. "
        "Every replica of reports reads every partition, to answer the request waiting for it. "
        "Internal to reports; kept one day.",
        (ReportCommandDone,),
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
    Send("reports", "reports_commands", "when a request writes to an existing report"),
    Send("reports", "reports_command_results", "once the report's owner applied a command"),
    Send("reports", "works_changed", "by the works register's relay after an import or staff edit"),
)
RECEIVES = (
    Receive("reports", "reports", "on_report_routed", "reports_routed"),
    Receive("reports", "reports", "on_report_command", "reports_commands"),
    Receive("reports", "", "on_command_done", "reports_command_results"),
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
    Receive("reports", "reports.statistics", "count_routed", "reports_routed"),
    Receive("reports", "reports.statistics", "count_unroutable", "reports_unroutable"),
    Receive("reports", "reports.statistics", "count_status_change", "reports_status_changed"),
    Receive("reports", "reports.statistics", "count_moderated", "reports_moderated"),
)
