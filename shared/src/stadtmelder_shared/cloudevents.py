"""CloudEvents 1.0 Kafka protocol binding, binary mode: attributes travel as `ce_` headers."""

from stadtmelder_shared.events import Event

SPEC_VERSION = "1.0"


def headers_for(event: Event, source: str, traceparent: str | None = None) -> dict[str, str]:
    headers = {
        "ce_specversion": SPEC_VERSION,
        "ce_id": event.event_id,
        "ce_type": event.type,
        "ce_source": source,
        "ce_time": event.occurred_at.isoformat(),
        "ce_subject": event.report_id,
        "content-type": "application/json",
    }
    if traceparent:
        headers["traceparent"] = traceparent
    return headers
