"""Routing's overdue watch and send retries run in every replica, each only for the reports whose
submissions it consumes, so a work item and its sends keep one writer (no leader that need not
own the report writes them)."""

from aiokafka import TopicPartition
from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import LogicSubscriber

from stadtmelder_routing.handlers import Intake, register_handlers
from stadtmelder_routing.sending.methods import SendError
from stadtmelder_routing.sla import OverdueWatch
from stadtmelder_shared import topics
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.partition_owner import PartitionOwnership
from tests.fakes import InMemoryWorkItems, RecordingPublisher
from tests.integration.poison import Recorder
from tests.sending_fakes import InMemorySendLog, ScriptedSender, a_department, a_work_item
from tests.unit.test_sending_dispatcher import WEBHOOK, a_dispatcher
from tests.unit.test_sla import NOW, an_item


async def test_each_replica_announces_and_marks_only_the_overdue_work_it_owns() -> None:
    items = InMemoryWorkItems()
    for report_id in ("MINE-1", "THEIRS-1", "MINE-2"):
        await items.save(an_item(report_id, -1))
    publisher = RecordingPublisher()

    def mine(report_id: str) -> bool:
        return report_id.startswith("MINE")

    here = OverdueWatch(items, load_directory(), publisher, "duisburg", lambda: NOW, mine)
    announced = await here.check_once()

    assert sorted(event.report_id for event in announced) == ["MINE-1", "MINE-2"]
    assert items.items["THEIRS-1"].overdue_at is None  # its owner's to write
    there = OverdueWatch(
        items, load_directory(), publisher, "duisburg", lambda: NOW, lambda r: not mine(r)
    )
    assert [event.report_id for event in await there.check_once()] == ["THEIRS-1"]


async def test_a_failed_send_is_retried_only_by_the_replica_that_owns_its_report() -> None:
    webhook = ScriptedSender([SendError("down")] * 3)
    send_log = InMemorySendLog()
    dispatcher = a_dispatcher({"webhook": webhook}, send_log)
    item = a_work_item()
    await dispatcher.dispatch(item, a_department(WEBHOOK))
    calls = len(webhook.calls)

    assert await dispatcher.retry_failed(owns=lambda report_id: False) == []
    assert len(webhook.calls) == calls
    [outcome] = await dispatcher.retry_failed(owns=lambda report_id: report_id == item.report_id)
    assert outcome.result == "delivered"


def test_the_submission_consumers_tell_the_ownership_their_partitions() -> None:
    broker = KafkaBroker()
    ownership = PartitionOwnership(topics.REPORTS_SUBMITTED)
    register_handlers(broker, Recorder(), "routing", Intake(ownership=ownership))  # type: ignore[arg-type]

    [submissions] = [
        s
        for s in broker.subscribers
        if isinstance(s, LogicSubscriber) and topics.REPORTS_SUBMITTED in s.topic_names
    ]
    assert submissions._listener is ownership


async def test_a_worker_giving_up_its_partitions_leaves_the_other_workers_own() -> None:
    ownership = PartitionOwnership(topics.REPORTS_SUBMITTED)
    ownership.bind(lambda topic: 3)
    await ownership.on_partitions_assigned({TopicPartition(topics.REPORTS_SUBMITTED, 0)})
    await ownership.on_partitions_assigned({TopicPartition(topics.REPORTS_SUBMITTED, 2)})

    await ownership.on_partitions_revoked({TopicPartition(topics.REPORTS_SUBMITTED, 0)})

    assert ownership.owned == {2}
