"""Kafka topic names: the only place where they are spelled out."""

REPORTS_SUBMITTED = "reports.submitted"
REPORTS_ROUTED = "reports.routed"
REPORTS_SUPPORTED = "reports.supported"
CITIZENS_NOTIFIED = "reports.citizen-notified"


def department_work(department_id: str) -> str:
    """The work queue topic of one department, consumed by its own systems."""
    return f"departments.{department_id}.work"


def dead_letter(topic: str) -> str:
    """Where messages of `topic` go when they cannot be processed."""
    return f"{topic}.dlq"
