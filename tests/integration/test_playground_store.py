"""The playground store's contract, for its in-memory fake and for MongoPlaygroundStore on real
FerretDB: an import is idempotent by id and keeps staff's closure, ratings are summed by the
database, and a comment is public only once approved."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.documents import to_document
from stadtmelder_reports.core.domain import Report, Submission
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.core.report_queries import ReportQuery
from stadtmelder_reports.core.submission import submit
from stadtmelder_reports.playgrounds.domain import CommentState, Rating, RatingSummary
from stadtmelder_reports.playgrounds.files import read_playground_file
from stadtmelder_reports.playgrounds.service import (
    REPORTS_SHOWN,
    PlaygroundLocator,
    PlaygroundService,
    import_playgrounds,
)
from stadtmelder_reports.playgrounds.store import MongoPlaygroundStore, PlaygroundStore
from stadtmelder_shared.event_values import Location, PlaygroundRef
from stadtmelder_shared.sealing import new_data_key
from tests.examples import valid_answers
from tests.fakes import InMemoryReportRepository
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


# --- the overview of all playgrounds over real reports --------------------------------------------

DUISBURG = load_jurisdiction()
# More open reports on one playground than the page shows of any one playground.
BUSY = REPORTS_SHOWN + 20


def a_playground_report(playground: str, at: datetime = NOW) -> Report:
    answers = valid_answers(DUISBURG.category("playground_damage"))
    where = Location(lat=51.43, lon=6.76)
    submission = Submission("playground_damage", "Schaukel kaputt", where, answers=answers)
    report_id = f"R{uuid.uuid4().hex[:9].upper()}"
    report = submit(
        submission,
        DUISBURG,
        (),
        at,
        report_id,
        "t-" + report_id,
        new_data_key(),
    ).report
    report.playground = PlaygroundRef(id=playground, name=playground)
    return report


@dataclass
class SearchedReports:
    """The public list of reports as the playground service reads it."""

    repository: Any

    async def list_reports(self, query: ReportQuery) -> list[Report]:
        found: list[Report] = await self.repository.search(query)
        return found


async def test_a_small_playgrounds_defect_shows_beside_a_busy_one(
    store: PlaygroundStore, database: Any
) -> None:
    busy = [a_playground_report("example-biegerpark") for _ in range(BUSY)]
    # Older than all the busy playground's reports: newest first, a city-wide cap would drop it.
    small = a_playground_report("example-dellplatz", NOW - timedelta(days=1))
    if database is None:
        repository: Any = InMemoryReportRepository()
        for report in [*busy, small]:
            await repository.add(report)
    else:
        repository = MongoReportRepository(database)
        await repository.ensure_indexes()
        await database["reports"].insert_many([to_document(r) for r in [*busy, small]])
    service = PlaygroundService(
        PlaygroundLocator(store), SearchedReports(repository), "duisburg", clock=lambda: NOW
    )

    views = {view.playground.id: view for view in await service.overview()}

    assert views["example-dellplatz"].state == "defects_open"
    assert [r.id for r in views["example-dellplatz"].open_defects] == [small.id]
    assert len(views["example-biegerpark"].open_defects) == REPORTS_SHOWN
    assert views["example-kantpark"].state == "no_known_defects"
