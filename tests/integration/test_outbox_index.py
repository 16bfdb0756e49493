"""Reports' outbox index on the local FerretDB: published events leave it together, and never
take an entry noted again with them."""

from typing import Any

import pytest

from stadtmelder_reports.core.outbox_index import MongoOutboxIndex

pytestmark = pytest.mark.integration


async def test_published_events_are_gone_before_the_index_is_next_read(
    real_database: Any,
) -> None:
    index = MongoOutboxIndex(real_database["outbox_index"])
    await index.note("R1", ["e1", "e2", "e3"])

    await index.forget(["e1"])
    await index.forget(["e3"])

    assert await index.count() == 1
    assert [entry.event_id for entry in await index.waiting(10)] == ["e2"]
    assert await real_database["outbox_index"].count_documents({}) == 1


async def test_an_event_queued_again_after_it_was_forgotten_stays_in_the_index(
    real_database: Any,
) -> None:
    index = MongoOutboxIndex(real_database["outbox_index"])
    await index.note("R1", ["e1"])
    await index.forget(["e1"])

    await index.note("R1", ["e1"])
    await index.flush()

    assert [entry.report_id for entry in await index.waiting(10)] == ["R1"]
