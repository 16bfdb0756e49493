"""In-memory stand-ins for the known works' stores: reports' register and routing's copy."""

from dataclasses import replace
from datetime import datetime

from stadtmelder_reports.works.domain import Works
from stadtmelder_reports.works.store import StoredWorks
from stadtmelder_shared.works import WorksChanged


class InMemoryWorksStore:
    """Counts its writes: importing a file again must not write."""

    def __init__(self) -> None:
        self.writes, self.kept = 0, dict[str, StoredWorks]()

    async def get(self, works_id: str) -> StoredWorks | None:
        return self.kept.get(works_id)

    async def all(self) -> list[StoredWorks]:
        return sorted(self.kept.values(), key=lambda s: (s.works.starts_on, s.works.id))

    async def put(self, works: Works, now: datetime) -> StoredWorks | None:
        kept = self.kept.get(works.id)
        if kept is not None and kept.works == works:
            return None
        stored = StoredWorks(works, (kept.revision if kept else 0) + 1, now, unpublished=True)
        self.kept[works.id] = stored
        self.writes += 1
        return stored

    async def unpublished(self, limit: int) -> list[StoredWorks]:
        return [s for s in self.kept.values() if s.unpublished][:limit]

    async def mark_published(self, works_id: str, revision: int) -> None:
        kept = self.kept.get(works_id)
        if kept is not None and kept.revision == revision:
            self.kept[works_id] = replace(kept, unpublished=False)


class InMemoryWorksCopy:
    def __init__(self) -> None:
        self.kept: dict[str, WorksChanged] = {}
        self.reads = 0

    async def latest(self) -> list[WorksChanged]:
        self.reads += 1
        return list(self.kept.values())

    async def keep(self, event: WorksChanged) -> bool:
        kept = self.kept.get(event.works_id)
        if kept is not None and kept.revision >= event.revision:
            return False
        self.kept[event.works_id] = event
        return True
