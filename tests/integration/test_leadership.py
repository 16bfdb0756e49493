"""Two replicas' leaderships of one job on the real broker: exactly one leads, and when it
stops, the other leads."""

import uuid

import pytest

from stadtmelder_shared.leadership import KafkaLeadership
from stadtmelder_shared.settings import ConnectionSettings
from tests.conftest import LocalSystem
from tests.system import wait_until

pytestmark = pytest.mark.integration


async def test_one_of_two_replicas_leads_a_job_and_the_other_takes_over_when_it_stops(
    infrastructure: LocalSystem,
) -> None:
    settings = ConnectionSettings.model_validate({"KAFKA_BOOTSTRAP_SERVERS": infrastructure.kafka})
    job = f"test-{uuid.uuid4().hex[:8]}"  # a group of its own, whatever else runs
    first, second = KafkaLeadership(settings, job), KafkaLeadership(settings, job)
    try:

        async def one_leads() -> list[bool]:
            leading = [await first.leads(), await second.leads()]
            return leading if leading.count(True) == 1 else []

        leading = await wait_until(one_leads, timeout=60, what="one replica to lead")
        leader, follower = (first, second) if leading[0] else (second, first)
        assert not await follower.leads()

        await leader.stop()
        await wait_until(follower.leads, timeout=60, what="the other replica to take over")
    finally:
        await first.stop()
        await second.stop()
