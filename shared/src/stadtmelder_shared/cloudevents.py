"""CloudEvents 1.0 Kafka protocol binding, binary mode: attributes travel as `ce_` headers."""

from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.sensor_readings import Reading

SPEC_VERSION = "1.0"


def subject_of(event: Event | Reading) -> str:
    """The Kafka key and `ce_subject`: the report an event is about, or who measured a reading."""
    return event.report_id if isinstance(event, Event) else event.key


def headers_for(
    event: Event | Reading, source: str, traceparent: str | None = None
) -> dict[str, str]:
    time = event.occurred_at if isinstance(event, Event) else event.measured_at
    headers = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": event.event_id,
        "ce_type": event.type,
        "ce_source": source,
        "ce_time": time.isoformat(),
        "ce_subject": subject_of(event),
        "content-type": "application/json",
    }
    if traceparent:
        headers["traceparent"] = traceparent
    return headers
