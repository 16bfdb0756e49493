"""An in-memory stand-in for the statistics' facts store."""

from collections.abc import AsyncIterator

from stadtmelder_reports.statistics.domain import ReportFacts
from stadtmelder_reports.statistics.store import StoredFacts


class InMemoryFactsStore:
    def __init__(self) -> None:
        self.stored: dict[str, StoredFacts] = {}
        self.writes = 0

    async def get(self, report_id: str, known_only: bool = False) -> StoredFacts | None:
        # Knows nothing without a read, so every event first tries the insert a new report's
        # facts take, as the Mongo store does for facts it did not write lately.
        return None if known_only else self.stored.get(report_id)

    async def put(self, facts: ReportFacts, revision: int | None) -> bool:
        current = self.stored.get(facts.report_id)
        if (current[1] if current else None) != revision:
            return False
        self.writes += 1
        self.stored[facts.report_id] = (facts, (revision or 0) + 1)
        return True

    async def every(self) -> AsyncIterator[list[ReportFacts]]:
        facts = [stored[0] for _, stored in sorted(self.stored.items())]
        for start in range(0, len(facts), 100):
            yield facts[start : start + 100]
