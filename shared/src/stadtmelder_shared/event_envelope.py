"""The envelope every event carries, and stable ids for events caused by other events."""

from datetime import UTC, datetime
from typing import ClassVar
from uuid import NAMESPACE_URL, uuid4, uuid5

from pydantic import Field

from stadtmelder_shared.event_values import Value


def _now() -> datetime:
    return datetime.now(UTC)


def derived_event_id(cause_event_id: str, purpose: str) -> str:
    """A stable id for an event caused by another one, so a redelivered cause yields the same id."""
    return str(uuid5(NAMESPACE_URL, f"stadtmelder:{cause_event_id}:{purpose}"))


class Event(Value):
    """Envelope fields every event carries."""

    type: ClassVar[str]

    event_id: str = Field(default_factory=lambda: str(uuid4()))
    occurred_at: datetime = Field(default_factory=_now)
    schema_version: int = 1
    report_id: str
    jurisdiction: str
