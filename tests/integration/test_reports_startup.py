"""What the reports app does with a database written by an earlier version when it starts."""

import logging
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import create_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.documents import to_document
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.submission import submit
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.sealing import new_data_key
from tests.conftest import LocalSystem
from tests.integration.conftest import fresh_database
from tests.system import wait_until

pytestmark = pytest.mark.integration


async def test_a_tracking_link_of_a_report_stored_before_the_index_works_after_a_start(
    infrastructure: LocalSystem, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="stadtmelder_reports.app")
    report_id = f"R{uuid.uuid4().hex[:9].upper()}"
    submission = Submission(
        "road_damage",
        "Schlagloch",
        Location(lat=51.43, lon=6.76),
        answers={"acute_danger": "no", "size": "large"},
    )
    now = datetime.now(UTC)
    new = submit(
        submission, load_jurisdiction(), (), now, report_id, f"token-{report_id}", new_data_key()
    )
    async with fresh_database(infrastructure) as database:
        await database["reports"].insert_one(to_document(new.report))
        settings = ReportsSettings(
            MONGODB_URL=infrastructure.mongodb_url,
            KAFKA_BOOTSTRAP_SERVERS=infrastructure.kafka,
            mongodb_database=database.name,
            staff_signing_key_file=tmp_path / "staff-key.pem",
            vapid_key_file=tmp_path / "vapid-key.pem",
        )
        client: Any
        async with AsyncTestClient(create_app(settings)) as client:
            tracked = await client.get(f"/api/v1/track/{new.tracking_token}")
            unknown = await client.get(f"/api/v1/track/token-{uuid.uuid4().hex}")
            # A shutdown cancels a Kafka start still under way, and a consumer cancelled in its
            # bootstrap leaves its socket open. /health/ready turns green once Kafka answers,
            # before the consumers have started; this line comes after they have.
            await wait_until(
                lambda: logged(caplog, "connected to Kafka"), timeout=60, what="Kafka started"
            )

    assert tracked.status_code == 200
    assert tracked.json()["id"] == report_id
    assert unknown.status_code == 404


async def logged(caplog: pytest.LogCaptureFixture, message: str) -> bool:
    return any(record.getMessage() == message for record in caplog.records)
