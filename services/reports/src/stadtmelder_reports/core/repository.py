"""Where reports live: the repository Protocol the use cases depend on, and the Mongo client."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from pymongo import AsyncMongoClient

from stadtmelder_reports.citizen_links.domain import FeedbackStep
from stadtmelder_reports.core.documents import Document
from stadtmelder_reports.core.domain import Notice, Report, StatusChange, WorkStep
from stadtmelder_reports.core.report_queries import QueueQuery, ReportQuery
from stadtmelder_reports.photos.cleaning import CleanPhoto
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Location, Reporter, WorksRef


@dataclass(frozen=True)
class StoredPhoto:
    media_type: str
    data: bytes


class ReportRepository(Protocol):
    async def add(self, report: Report, photos: tuple[CleanPhoto, ...] = ()) -> None: ...

    async def get(self, report_id: str) -> Report: ...

    async def by_tracking_token(self, token_hash: str) -> Report: ...

    async def search(self, query: ReportQuery) -> list[Report]: ...

    async def open_nearby(
        self, jurisdiction: str, category: str, centre: Location, radius_m: float
    ) -> list[Report]:
        """Open reports of the category within the radius, in no particular order.

        Raises `stadtmelder_shared.nearby.AreaTooWide` for a circle wider than the index reads.
        """
        ...

    async def photo(self, report_id: str, number: int, thumbnail: bool) -> StoredPhoto: ...

    async def queue(self, query: QueueQuery) -> list[Report]: ...

    async def record_status(
        self, report_id: str, change: StatusChange, due_at: datetime | None = None
    ) -> bool:
        """Apply a status change once, moving the report to the change's department if it
        names one; False when this event was applied before."""
        ...

    async def link_works(self, report_id: str, works: Sequence[WorksRef]) -> None:
        """Name the known works the report's place lies in (replacing those named before)."""
        ...

    async def record_work(self, report_id: str, revision: int, step: WorkStep) -> bool:
        """Store `step` with its events in one write if the report is still at `revision`.

        False when the report changed meanwhile: read it again and decide anew.
        """
        ...

    async def add_supporter(
        self, report_id: str, supporter_key: str | None, supporter: Reporter | None, event: Event
    ) -> bool:
        """Count one more supporter and queue `event`; False if this key supported before."""
        ...

    async def record_feedback(self, report_id: str, revision: int, step: FeedbackStep) -> bool:
        """Store a citizen's answer with its event if the report is still at `revision`."""
        ...

    async def record_notice(self, report_id: str, notice: Notice) -> bool:
        """Note that a citizen was told about a step; False when this notice came before."""
        ...

    async def queue_event(self, report_id: str, topic: str, event: Event) -> None:
        """Put an event about the report into its outbox, for the relay to publish."""
        ...

    async def with_pending_events(self, limit: int) -> list[Report]: ...

    async def mark_published(self, report_id: str, event_ids: Iterable[str]) -> None: ...

    def handed_over(self, report_id: str, event_ids: Iterable[str]) -> None:
        """These events were published for a report this replica does not own: no longer
        waiting here; the owner drops them from the outbox."""
        ...

    def published(self, report_id: str, revision: int, event_ids: Iterable[str]) -> None:
        """The relay published every event the outbox held at `revision` (`event_ids` those
        it published now): the outbox is emptied with the report's next write if none came
        between, else by `settle_published` a moment later."""
        ...

    def published_before(self, report_id: str) -> frozenset[str]:
        """Events still in the report's outbox that were published: not to be sent again."""
        ...

    async def settle_published(self, everything: bool = False) -> None:
        """Empty the published outboxes no write of their report emptied in time (all of
        them with `everything`)."""
        ...

    async def clear_outbox(self, report_id: str, revision: int, event_ids: Iterable[str]) -> bool:
        """Empty the outbox if the report is still at `revision`, whose events (`event_ids`)
        were all published; False when it changed meanwhile (then use `mark_published`)."""
        ...

    async def ping(self) -> None: ...


def connect(url: str) -> AsyncMongoClient[Document]:
    return AsyncMongoClient(url, tz_aware=True, serverSelectionTimeoutMS=5000)
