"""An in-memory stand-in for the open-data daily file cache."""

from stadtmelder_reports.open_data.store import CachedFile


class InMemoryDailyFiles:
    def __init__(self) -> None:
        self.files: dict[str, CachedFile] = {}
        self.writes = 0

    async def get(self, name: str) -> CachedFile | None:
        return self.files.get(name)

    async def put(self, name: str, cached: CachedFile) -> None:
        self.files[name] = cached
        self.writes += 1
