"""The store side of an outbox, as the relay sees it: a document's events still to publish
(`Pending`), the Protocol every store with an outbox meets, and `DocumentOutbox`, which adapts a
store of documents keeping their own outbox (reports, area alerts) to it."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, Protocol, TypeVar

from stadtmelder_shared.event_envelope import Event


@dataclass(frozen=True)
class Pending:
    """One document's events still to be published, in their order, as read at `revision`."""

    key: str
    revision: int
    events: Sequence[tuple[str, Event]]
    trace_contexts: Mapping[str, str] = field(default_factory=dict)


class OutboxStore(Protocol):
    """The store side of an outbox, as the relay sees it."""

    @property
    def key_name(self) -> str:
        """What a document's key is called in the logs, e.g. `report_id`."""
        ...

    async def pending_batch(self, limit: int) -> Sequence[Pending]:
        """Up to `limit` documents with events to publish: the safety-net scan."""
        ...

    async def pending_of(self, key: str) -> Pending | None:
        """The events of the document named by `wake(key)`; None when it is gone."""
        ...

    async def mark_sent(self, pending: Pending, event_ids: Sequence[str]) -> None:
        """Drop these published events from the outbox; events queued since stay."""
        ...

    def handed_over(self, pending: Pending, event_ids: Sequence[str]) -> None:
        """These events were published by a replica that does not own the document: its owner
        drops them from the outbox (at its next write of the document, or its scan)."""
        ...


class OutboxDocument(Protocol):
    """A stored document that keeps its own outbox, as the relay reads it (never writes it)."""

    @property
    def id(self) -> str: ...
    @property
    def revision(self) -> int: ...
    @property
    def pending_events(self) -> list[tuple[str, Event]]: ...


D = TypeVar("D", bound=OutboxDocument)
D_co = TypeVar("D_co", bound=OutboxDocument, covariant=True)


class OutboxDocuments(Protocol[D_co]):
    """A store of such documents: the ones with events waiting, and dropping published ones."""

    async def with_pending_events(self, limit: int) -> Sequence[D_co]: ...

    async def mark_published(self, key: str, event_ids: Sequence[str]) -> None: ...


class DocumentOutbox(Generic[D]):
    """The events inside a store's documents, as the relay sees them: one for every store with
    an outbox. `find` reads one document by its key, None when it is gone."""

    def __init__(
        self,
        key_name: str,
        documents: OutboxDocuments[D],
        find: Callable[[str], Awaitable[D | None]],
    ) -> None:
        self.key_name = key_name
        self._documents = documents
        self._find = find

    async def pending_batch(self, limit: int) -> list[Pending]:
        return [self.pending(d) for d in await self._documents.with_pending_events(limit)]

    async def pending_of(self, key: str) -> Pending | None:
        document = await self._find(key)
        return None if document is None else self.pending(document)

    async def mark_sent(self, pending: Pending, event_ids: Sequence[str]) -> None:
        await self._documents.mark_published(pending.key, event_ids)

    def handed_over(self, pending: Pending, event_ids: Sequence[str]) -> None:
        """Never called: a relay without an `owner` owns every document."""

    def pending(self, document: D) -> Pending:
        return Pending(document.id, document.revision, document.pending_events)
