"""Reports' store of the fleet's findings, one contract for the MongoDB adapter on FerretDB and
the fake: a finding comes back as it was put, and a later put replaces it."""

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from stadtmelder_reports.sensor_reports.domain import Finding
from stadtmelder_reports.sensor_reports.store import FindingStore, MongoFindingStore
from stadtmelder_shared.road_damage import RoadEvidence
from tests.fleet_fakes import InMemoryFindingStore

pytestmark = pytest.mark.integration

AT = datetime(2026, 11, 2, 7, 0, tzinfo=UTC)
EVIDENCE = RoadEvidence(
    passes=3,
    vehicles=2,
    median_iri=8.4,
    p90_iri=11.0,
    first_pass_at=AT,
    last_pass_at=AT,
    window_days=14,
)


def store_for(database: Any) -> FindingStore:
    return InMemoryFindingStore() if database is None else MongoFindingStore(database)


async def test_a_finding_comes_back_as_put_and_a_later_put_replaces_it(database: Any) -> None:
    store = store_for(database)
    finding = Finding("road-8c1fa5310955bff-1", "ABCDE-12345", own=True, evidence=EVIDENCE)
    await store.put(finding)
    assert await store.get(finding.id) == finding

    later = replace(
        finding,
        evidence=EVIDENCE.model_copy(update={"passes": 5}),
        submitted=True,
        cleared_at=AT,
    )
    await store.put(later)

    assert await store.get(finding.id) == later
    assert await store.get("road-unknown-1") is None
