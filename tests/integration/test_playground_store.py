"""The playground store's contract, for its in-memory fake and for MongoPlaygroundStore on real
FerretDB: an import is idempotent by id and keeps staff's closure, ratings are summed by the
database, and a comment is public only once approved."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stadtmelder_reports.playgrounds.domain import CommentState, Rating, RatingSummary
from stadtmelder_reports.playgrounds.files import read_playground_file
from stadtmelder_reports.playgrounds.service import import_playgrounds
from stadtmelder_reports.playgrounds.store import MongoPlaygroundStore, PlaygroundStore
from tests.playground_fakes import InMemoryPlaygroundStore
from tests.system import ROOT

pytestmark = pytest.mark.integration

EXAMPLE = ROOT / "deploy/local/data/playgrounds.example.geojson"
NOW = datetime(2026, 6, 1, 12, tzinfo=UTC)


@pytest.fixture
async def store(database: Any) -> PlaygroundStore:
    """The fake, or the Mongo adapter on a fresh database; the example register imported."""
    found = InMemoryPlaygroundStore() if database is None else MongoPlaygroundStore(database)
    await import_playgrounds(found, EXAMPLE)
    return found


async def test_the_same_file_imported_again_changes_nothing(store: PlaygroundStore) -> None:
    stamp = await store.stamp()

    again = await import_playgrounds(store, EXAMPLE)

    assert len(await store.all()) == 6
    assert (again.added, again.changed, again.unchanged) == (0, 0, 6)
    assert await store.stamp() == stamp is not None
    stored = {p.id: p for p in await store.all()}
    for playground in read_playground_file(EXAMPLE):
        assert stored[playground.id].geometry.equals(playground.geometry)
        assert stored[playground.id].name == playground.name


async def test_a_reimport_keeps_a_closure_staff_set(store: PlaygroundStore) -> None:
    assert await store.set_closed("example-kantpark", True, "clerk-1", NOW)

    await import_playgrounds(store, EXAMPLE)

    found = await store.get("example-kantpark")
    assert found is not None
    assert found.closed_for_repair
    assert not await store.set_closed("nowhere", True, "clerk-1", NOW)


async def test_ratings_are_summed_per_playground_and_comments_wait_for_approval(
    store: PlaygroundStore,
) -> None:
    for n, (stars, comment) in enumerate([(5, "Schön"), (2, None), (4, "Sauber")]):
        at = NOW + timedelta(minutes=n)
        state: CommentState = "pending" if comment else "none"
        await store.add_rating(Rating(f"r{n}", "example-kantpark", stars, comment, at, state))
    await store.add_rating(Rating("r9", "example-biegerpark", 1, None, NOW, "none"))

    summaries = await store.summaries()
    pending = await store.pending_comments(10)
    assert await store.decide_comment("r0", "approved", "dispatcher-1")
    assert await store.decide_comment("r2", "rejected", "dispatcher-1")
    assert not await store.decide_comment("r2", "approved", "dispatcher-1")

    assert summaries == {
        "example-kantpark": RatingSummary(3, 11),
        "example-biegerpark": RatingSummary(1, 1),
    }
    assert [r.id for r in pending] == ["r0", "r2"]
    shown = await store.recent_comments("example-kantpark", 5)
    assert [(r.id, r.public_comment) for r in shown] == [("r0", "Schön")]
    assert await store.pending_comments(10) == []
