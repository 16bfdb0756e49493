"""The fleet pages' stores' contract, held by their fakes and by the Mongo adapters on FerretDB."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from stadtmelder_reports.fleet_pages.domain import PlanAnswer, PlanRequest
from stadtmelder_reports.fleet_pages.store import MongoPlanStore, MongoRoadConditionStore
from tests.fleet_view_fakes import InMemoryPlanStore, InMemoryRoadConditionStore
from tests.unit.test_fleet_view_service import a_piece, a_plan

pytestmark = pytest.mark.integration

NOW = datetime(2026, 3, 2, 6, 0, tzinfo=UTC)
DAY = date(2026, 3, 4)


@pytest.fixture
def roads(database: Any) -> Any:
    return InMemoryRoadConditionStore() if database is None else MongoRoadConditionStore(database)


@pytest.fixture
def plans(database: Any) -> Any:
    return InMemoryPlanStore() if database is None else MongoPlanStore(database)


async def test_pieces_are_kept_latest_first_and_shown_until_their_evidence_expires(
    roads: Any,
) -> None:
    # More than FerretDB replaces in one command: the adapter writes them in batches.
    many = [a_piece(f"piece-{n}", "good", NOW) for n in range(120)]
    await roads.put_pieces(many)
    rough = a_piece("piece-7", "very_poor", NOW + timedelta(hours=1))
    stale = a_piece("old", "poor", NOW - timedelta(days=20))
    await roads.put_pieces([rough, stale])

    shown = {piece.piece_id: piece for piece in await roads.pieces(NOW)}

    assert len(shown) == 120
    assert shown["piece-7"] == rough
    assert "old" not in shown


async def test_the_latest_request_and_the_latest_answer_of_a_district_and_day_are_found(
    plans: Any,
) -> None:
    first = PlanRequest("r-1", "district-500", DAY, "planner-1", NOW)
    second = PlanRequest("r-2", "district-500", DAY, "planner-2", NOW + timedelta(minutes=1))
    other_day = PlanRequest("r-3", "district-500", DAY + timedelta(days=1), "planner-1", NOW)
    for request in (second, first, other_day):
        await plans.add_request(request)
    made = PlanAnswer("r-1", "district-500", DAY, NOW, a_plan("district-500", DAY))
    refused = PlanAnswer("r-2", "district-500", DAY, NOW, code="cannot_plan", reason="too big")
    await plans.put_answer(made)
    await plans.put_answer(refused)

    assert await plans.latest_request("district-500", DAY) == second
    assert await plans.latest_request("district-100", DAY) is None
    assert await plans.answer("district-500", DAY) == refused
    assert await plans.answer("district-500", DAY + timedelta(days=1)) is None
    await plans.put_answer(made)
    assert await plans.answer("district-500", DAY) == made
