"""In-memory stand-ins for the fleet service's stores; they pass the same contract tests as the
MongoDB adapters (tests/integration/test_fleet_road_store.py)."""

import copy
from collections.abc import Sequence
from dataclasses import dataclass, field

from stadtmelder_fleet.road.domain import Piece
from stadtmelder_fleet.road.findings import Finding as RoadFinding
from stadtmelder_reports.sensor_reports.domain import Finding


@dataclass
class InMemoryPieceStore:
    """Keeps copies, as a database would: a piece changed in memory is not saved by itself."""

    pieces: dict[str, Piece] = field(default_factory=dict)
    findings: dict[str, RoadFinding] = field(default_factory=dict)
    saves: int = 0

    async def load(self, piece_id: str) -> Piece | None:
        found = self.pieces.get(piece_id)
        return copy.deepcopy(found) if found else None

    async def save(self, pieces: list[Piece]) -> None:
        self.saves += 1
        for piece in pieces:
            self.pieces[piece.id] = copy.deepcopy(piece)

    async def all_pieces(self, limit: int) -> list[Piece]:
        return [copy.deepcopy(piece) for piece in list(self.pieces.values())[:limit]]

    async def load_many(self, piece_ids: Sequence[str]) -> list[Piece]:
        return [copy.deepcopy(self.pieces[key]) for key in piece_ids if key in self.pieces]

    async def open_findings(self) -> list[RoadFinding]:
        return [copy.deepcopy(finding) for finding in self.findings.values()]

    async def save_finding(self, finding: RoadFinding) -> None:
        self.findings[finding.id] = copy.deepcopy(finding)

    async def drop_finding(self, finding_id: str) -> None:
        self.findings.pop(finding_id, None)


@dataclass
class InMemoryFindingStore:
    """Reports' memory of the fleet's findings, kept as copies."""

    findings: dict[str, Finding] = field(default_factory=dict)

    async def get(self, finding_id: str) -> Finding | None:
        found = self.findings.get(finding_id)
        return copy.deepcopy(found) if found else None

    async def put(self, finding: Finding) -> None:
        self.findings[finding.id] = copy.deepcopy(finding)
