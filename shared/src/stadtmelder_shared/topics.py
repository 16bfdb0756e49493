"""Kafka topic names: the only place where they are spelled out."""

REPORTS_SUBMITTED = "reports.submitted"
REPORTS_ROUTED = "reports.routed"
REPORTS_SUPPORTED = "reports.supported"
REPORTS_UNROUTABLE = "reports.unroutable"
REPORTS_STATUS_CHANGED = "reports.status-changed"
REPORTS_COMMENTED = "reports.commented"
REPORTS_MODERATED = "reports.moderated"
REPORTS_OVERDUE = "reports.overdue"
WORK_ITEMS_SEND_FAILED = "departments.send-failed"
# Department systems report their own transitions here; the same shape as the staff API's.
DEPARTMENT_UPDATES_PATTERN = r"departments\.[^.]+\.updates$"
CITIZENS_NOTIFIED = "reports.citizen-notified"
REPORTS_FEEDBACK = "reports.feedback-received"
NOTIFICATION_PREFERENCES = "notify.preferences-changed"
PUSH_SUBSCRIPTIONS = "notify.push-subscriptions"
AREA_ALERTS = "notify.area-alerts"
# Erasures on request; also published on `departments.<id>.work` to departments that got the report.
CONTACT_DATA_ERASED = "reports.contact-data-erased"
# The fleet's vehicles and containers send their readings here, keyed by who measured.
ROAD_ROUGHNESS = "sensors.road-roughness"
CONTAINER_FILL = "sensors.container-fill"
# Road damage the fleet service found or saw repaired, for reports to act on.
ROAD_DAMAGE = "fleet.road-damage"
# The condition of road pieces as fleet last saved them, for reports' road maps.
ROAD_CONDITIONS = "fleet.road-conditions"
# A dispatcher's request for an emptying plan, and fleet's plan or refusal, keyed by district.
PLAN_REQUESTS = "fleet.plan-requests"
EMPTYING_PLANS = "fleet.emptying-plans"
# Known works' latest state, keyed by works: compacted, so it holds each works' last word.
WORKS_CHANGED = "works.changed"
COMPACTED = frozenset({WORKS_CHANGED})
# Writes to an existing report that arrive over HTTP, keyed by report id, applied by the replica
# that owns the report's partition; and what became of each, read by every replica.
REPORTS_COMMANDS = "reports.commands"
REPORTS_COMMAND_RESULTS = "reports.command-results"
# Commands carry what a request asked (a comment's text): kept a day, long enough to be applied.
SHORT_LIVED = frozenset({REPORTS_COMMANDS, REPORTS_COMMAND_RESULTS})


def department_work(department_id: str) -> str:
    """The work queue topic of one department, consumed by its own systems."""
    return f"departments.{department_id}.work"


def department_updates(department_id: str) -> str:
    """Where a department's own system sends status transitions of its reports."""
    return f"departments.{department_id}.updates"


def dead_letter(topic: str) -> str:
    """Where messages of `topic` go when they cannot be processed."""
    return f"{topic}.dlq"


def service_topics(department_ids: tuple[str, ...] = ()) -> list[str]:
    """The topics the services consume and produce, with each department's work and updates.

    A pattern consumer notices a new topic only at its next metadata refresh, minutes later,
    so the departments' update topics must exist before the first update arrives.
    """
    per_department = [
        topic for d in department_ids for topic in (department_work(d), department_updates(d))
    ]
    return [
        *per_department,
        REPORTS_SUBMITTED,
        REPORTS_ROUTED,
        REPORTS_SUPPORTED,
        REPORTS_UNROUTABLE,
        REPORTS_STATUS_CHANGED,
        REPORTS_COMMENTED,
        REPORTS_MODERATED,
        REPORTS_OVERDUE,
        WORK_ITEMS_SEND_FAILED,
        CITIZENS_NOTIFIED,
        REPORTS_FEEDBACK,
        NOTIFICATION_PREFERENCES,
        PUSH_SUBSCRIPTIONS,
        AREA_ALERTS,
        CONTACT_DATA_ERASED,
        ROAD_ROUGHNESS,
        CONTAINER_FILL,
        ROAD_DAMAGE,
        ROAD_CONDITIONS,
        PLAN_REQUESTS,
        EMPTYING_PLANS,
        WORKS_CHANGED,
        REPORTS_COMMANDS,
        REPORTS_COMMAND_RESULTS,
    ]
