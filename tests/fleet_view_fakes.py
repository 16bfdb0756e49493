"""In-memory stores of the fleet pages that keep the same contract as the Mongo adapters."""

from collections.abc import Sequence
from datetime import date, datetime

from stadtmelder_reports.fleet_pages.domain import PlanAnswer, PlanRequest
from stadtmelder_shared.road_conditions import RoadPieceCondition


class InMemoryRoadConditionStore:
    def __init__(self) -> None:
        self.kept: dict[str, RoadPieceCondition] = {}

    async def put_pieces(self, pieces: Sequence[RoadPieceCondition]) -> None:
        self.kept.update((piece.piece_id, piece) for piece in pieces)

    async def pieces(self, now: datetime) -> list[RoadPieceCondition]:
        return [piece for piece in self.kept.values() if piece.shown_until > now]


class InMemoryPlanStore:
    def __init__(self) -> None:
        self.requests: dict[str, PlanRequest] = {}
        self.answers: dict[tuple[str, date], PlanAnswer] = {}

    async def add_request(self, request: PlanRequest) -> None:
        self.requests[request.request_id] = request

    async def latest_request(self, district: str, day: date) -> PlanRequest | None:
        found = [r for r in self.requests.values() if (r.district, r.day) == (district, day)]
        return max(found, key=lambda r: r.requested_at, default=None)

    async def put_answer(self, answer: PlanAnswer) -> None:
        self.answers[answer.district, answer.day] = answer

    async def answer(self, district: str, day: date) -> PlanAnswer | None:
        return self.answers.get((district, day))
