"""In-memory stand-ins for erasure: the contact store over the in-memory reports, and data keys."""

import dataclasses

from stadtmelder_reports.erasure.alert_store import Subscriber
from stadtmelder_reports.erasure.domain import Erasure
from stadtmelder_shared import topics
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS
from tests.fakes import InMemoryReportRepository


class InMemoryContactStore:
    def __init__(self, reports: InMemoryReportRepository) -> None:
        self._reports = reports

    async def erase_reporter(self, report_id: str, revision: int, erasure: Erasure) -> bool:
        report = self._reports.reports[report_id]
        if report.revision != revision:
            return False
        report.reporter = None
        report.contact_erased_at = erasure.erased_at
        report.pending_events[:] = [
            (topic, _without(event, ("reporter", "tracking_token")))
            for topic, event in report.pending_events
        ]
        report.pending_events.append((topics.CONTACT_DATA_ERASED, erasure.event))
        report.revision += 1
        return True

    async def erase_supporter(self, report_id: str, erasure: Erasure) -> bool:
        key = erasure.event.recipient_key
        kept = self._reports.supporter_entries.get(report_id, [])
        left = [s for s in kept if DEVELOPMENT_RECIPIENT_KEYS.of(report_id, str(s["email"])) != key]
        if len(left) == len(kept):
            return False
        self._reports.supporter_entries[report_id] = left
        self._reports.reports[report_id].pending_events.append(
            (topics.CONTACT_DATA_ERASED, erasure.event)
        )
        return True


def _without(event: Event, fields: tuple[str, ...]) -> Event:
    names = [f for f in fields if getattr(event, f, None) is not None]
    return event.model_copy(update=dict.fromkeys(names)) if names else event


@dataclasses.dataclass
class DestroyedKeys:
    """Records which data keys erasure destroyed, in order."""

    destroyed: list[str] = dataclasses.field(default_factory=list)

    async def destroy(self, key_id: str) -> None:
        self.destroyed.append(key_id)


@dataclasses.dataclass
class InMemoryAlertContacts:
    """Alerts by their link token's hash, and the erasures written for them."""

    subscribers: dict[str, Subscriber] = dataclasses.field(default_factory=dict)
    erased: dict[str, Erasure] = dataclasses.field(default_factory=dict)

    async def subscriber_of(self, token_hash: str) -> Subscriber | None:
        return self.subscribers.get(token_hash)

    async def erase_subscriber(self, subscription_id: str, erasure: Erasure) -> bool:
        if subscription_id in self.erased:
            return False
        self.erased[subscription_id] = erasure
        return True
