"""What reports remembers of the fleet's findings: a Protocol and its MongoDB adapter."""

from dataclasses import asdict
from typing import Any, Protocol

from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.sensor_reports.domain import Finding
from stadtmelder_shared.road_damage import RoadEvidence

Document = dict[str, Any]


class FindingStore(Protocol):
    async def get(self, finding_id: str) -> Finding | None: ...

    async def put(self, finding: Finding) -> None: ...


class MongoFindingStore:
    """One document per finding, replaced whole: its events arrive keyed by its id, so the
    consumer of that partition is its only writer."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._findings = database["sensor_findings"]

    async def get(self, finding_id: str) -> Finding | None:
        found = await self._findings.find_one({"_id": finding_id})
        if found is None:
            return None
        return Finding(
            id=found["_id"],
            report_id=found["report_id"],
            own=found["own"],
            evidence=RoadEvidence.model_validate(found["evidence"]),
            submitted=found.get("submitted", False),
            cleared_at=found.get("cleared_at"),
        )

    async def put(self, finding: Finding) -> None:
        document = asdict(finding) | {"evidence": finding.evidence.model_dump()}
        del document["id"]
        await self._findings.replace_one({"_id": finding.id}, document, upsert=True)
