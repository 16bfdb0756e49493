"""What reports keeps of the fleet for its pages: road pieces' conditions and emptying plans
(requests and answers), as Protocols and their MongoDB adapters."""

from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any, Protocol

from pymongo import DESCENDING, ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.fleet_pages.domain import PlanAnswer, PlanRequest
from stadtmelder_shared.bulk_writes import replace_in_batches
from stadtmelder_shared.emptying_plans import EmptyingPlan
from stadtmelder_shared.road_conditions import RoadPieceCondition

Document = dict[str, Any]
# A city has about 10,000 pieces; the maps never draw more than this.
MAX_PIECES = 50_000


class RoadConditionStore(Protocol):
    async def put_pieces(self, pieces: Sequence[RoadPieceCondition]) -> None: ...

    async def pieces(self, now: datetime) -> list[RoadPieceCondition]:
        """The pieces still shown at `now`."""
        ...


class PlanStore(Protocol):
    async def add_request(self, request: PlanRequest) -> None: ...

    async def latest_request(self, district: str, day: date) -> PlanRequest | None: ...

    async def put_answer(self, answer: PlanAnswer) -> None:
        """Replaces the answer for the answer's district and day."""
        ...

    async def answer(self, district: str, day: date) -> PlanAnswer | None: ...


class MongoRoadConditionStore:
    """One document per piece, replaced whole by the consumer of its area's partition."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._pieces = database["fleet_road_conditions"]

    async def put_pieces(self, pieces: Sequence[RoadPieceCondition]) -> None:
        writes = [
            ReplaceOne({"_id": p.piece_id}, p.model_dump(exclude={"piece_id"}), upsert=True)
            for p in pieces
        ]
        # FerretDB 1.24 hangs on more than 100 replaced documents in one command.
        await replace_in_batches(self._pieces, writes)

    async def pieces(self, now: datetime) -> list[RoadPieceCondition]:
        found = self._pieces.find({"shown_until": {"$gt": now}}).limit(MAX_PIECES)
        return [
            RoadPieceCondition.model_validate({**doc, "piece_id": doc["_id"]})
            async for doc in found
        ]


class MongoPlanStore:
    """Requests are written by whichever replica served the dispatcher, answers only by the
    consumer of the district's partition: no document has two writers."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._requests = database["fleet_plan_requests"]
        self._answers = database["fleet_emptying_plans"]

    async def add_request(self, request: PlanRequest) -> None:
        await self._requests.replace_one(
            {"_id": request.request_id},
            {
                "district": request.district,
                "day": request.day.isoformat(),
                "requested_by": request.requested_by,
                "requested_at": request.requested_at,
            },
            upsert=True,
        )

    async def latest_request(self, district: str, day: date) -> PlanRequest | None:
        found = await self._requests.find_one(
            {"district": district, "day": day.isoformat()}, sort=[("requested_at", DESCENDING)]
        )
        if found is None:
            return None
        return PlanRequest(
            request_id=found["_id"],
            district=found["district"],
            day=date.fromisoformat(found["day"]),
            requested_by=found["requested_by"],
            requested_at=_aware(found["requested_at"]),
        )

    async def put_answer(self, answer: PlanAnswer) -> None:
        document = {
            "request_id": answer.request_id,
            "answered_at": answer.answered_at,
            "plan": None if answer.plan is None else answer.plan.model_dump(mode="json"),
            "code": answer.code,
            "reason": answer.reason,
        }
        await self._answers.replace_one(
            {"_id": _plan_id(answer.district, answer.day)}, document, upsert=True
        )

    async def answer(self, district: str, day: date) -> PlanAnswer | None:
        found = await self._answers.find_one({"_id": _plan_id(district, day)})
        if found is None:
            return None
        plan = found.get("plan")
        return PlanAnswer(
            request_id=found["request_id"],
            district=district,
            day=day,
            answered_at=_aware(found["answered_at"]),
            plan=None if plan is None else EmptyingPlan.model_validate(plan),
            code=found.get("code", ""),
            reason=found.get("reason", ""),
        )


def _plan_id(district: str, day: date) -> str:
    return f"{district}/{day.isoformat()}"


def _aware(at: datetime) -> datetime:
    # The services' clients read UTC times tz-aware; a plain client reads them naive.
    return at if at.tzinfo else at.replace(tzinfo=UTC)
