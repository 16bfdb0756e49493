"""Statistics end to end on real servers: lifecycle events published to Kafka, read by the
statistics' consumers, kept in FerretDB, give the figures a brute-force count gives; and the
read model rebuilt from FerretDB alone gives them again."""

import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from stadtmelder_reports.statistics.figures import Selection
from stadtmelder_reports.statistics.handlers import register_consumers
from stadtmelder_reports.statistics.service import StatisticsService
from stadtmelder_reports.statistics.store import MongoFactsStore
from stadtmelder_shared import topics
from stadtmelder_shared.kafka import ensure_topics, group_for, make_broker, publish_event
from tests.conftest import LocalSystem
from tests.integration.test_alerts_flow import skip_to_end
from tests.statistics_truth import (
    Lifecycle,
    assert_equal_to_brute_force,
    brute_force,
    delivered,
    keeps,
    lifecycles,
)
from tests.system import wait_until

pytestmark = pytest.mark.integration
LIFECYCLE_TOPICS = [
    topics.REPORTS_SUBMITTED,
    topics.REPORTS_ROUTED,
    topics.REPORTS_UNROUTABLE,
    topics.REPORTS_STATUS_CHANGED,
    topics.REPORTS_MODERATED,
]


@pytest.fixture
async def database(infrastructure: LocalSystem) -> AsyncIterator[Any]:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        infrastructure.mongodb_url, tz_aware=True
    )
    name = f"statistics_{uuid.uuid4().hex[:8]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()


async def test_events_through_kafka_give_the_brute_force_figures(
    infrastructure: LocalSystem, database: Any
) -> None:
    # A year of its own, far ahead, so reports of other tests on the same topics never count.
    token = uuid.uuid4().hex[:6]
    year = 2100 + int(token, 16) % 700
    lives = lifecycles(120, seed=3, prefix=f"T{token}-", start=datetime(year, 1, 1, tzinfo=UTC))
    selections = [
        Selection(f"{year}-01", f"{year}-12"),
        Selection(f"{year}-02", f"{year}-07", category="road_damage"),
        Selection(f"{year}-01", f"{year}-12", department="stadt-licht"),
    ]
    group = f"statistics-test-{token}"
    await ensure_topics(infrastructure.kafka, LIFECYCLE_TOPICS, 3, 1)
    for topic in LIFECYCLE_TOPICS:
        await skip_to_end(infrastructure.kafka, group_for(group, topic), [topic])
    statistics = StatisticsService(MongoFactsStore(database))
    await statistics.rebuild()
    broker = make_broker(infrastructure.kafka, client_id=f"stadtmelder-test-{group}")
    register_consumers(broker, statistics, group)
    await broker.start()
    try:
        for topic, event in delivered(lives):
            await publish_event(broker, topic, event, "/test/statistics")
        await wait_until(
            counted_all(statistics, lives, selections[0]), timeout=120, what="every event counted"
        )
    finally:
        await broker.stop()

    assert_equal_to_brute_force(statistics, lives, selections)
    rebuilt = StatisticsService(MongoFactsStore(database))
    await rebuilt.rebuild()
    for selection in selections:
        assert rebuilt.breakdown(selection) == statistics.breakdown(selection)


def counted_all(statistics: StatisticsService, lives: list[Lifecycle], selection: Selection) -> Any:
    """Done once the total equals the brute force: every event of every report was applied."""
    expected = brute_force(lives, keeps(selection))

    async def probe() -> bool:
        return asdict(statistics.breakdown(selection).total) == expected

    return probe
