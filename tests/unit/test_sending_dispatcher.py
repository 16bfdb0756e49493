"""The dispatcher: retries with backoff, the send log's idempotency, failures recorded and told."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from aiokafka.errors import KafkaConnectionError

from stadtmelder_routing.sending.dispatcher import DeliveryCheck, Dispatcher, RetryPolicy
from stadtmelder_routing.sending.kafka_topic import KafkaTopicSender
from stadtmelder_routing.sending.methods import PermanentSendError, Sender, SendError
from stadtmelder_routing.sending.send_log import Claim
from stadtmelder_shared import topics
from stadtmelder_shared.departments import SendKind, SendMethod
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.work_item_events import WorkItemQueued, WorkItemSendFailed
from tests.fakes import RecordingPublisher
from tests.sending_fakes import (
    InMemorySendLog,
    ScriptedSender,
    a_department,
    a_work_item,
)
from tests.system import wait_until

FAST = RetryPolicy(attempts=3, first_wait_s=0.0, max_wait_s=0.0, held_poll_s=0.01)
WEBHOOK = SendMethod("webhook", url="https://licht.example/hooks/work", secret_env="LICHT_SECRET")
MAILBOX = SendMethod("email", mailbox="licht@stadt-duisburg.example")
KAFKA = SendMethod("kafka")


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def a_dispatcher(
    senders: dict[SendKind, Sender],
    send_log: InMemorySendLog | None = None,
    publisher: RecordingPublisher | None = None,
    clock: Clock | None = None,
    checks: dict[SendKind, DeliveryCheck] | None = None,
) -> Dispatcher:
    return Dispatcher(
        senders,
        send_log or InMemorySendLog(),
        publisher or RecordingPublisher(),
        policy=FAST,
        clock=clock or Clock(),
        checks=checks,
    )


async def test_each_method_of_the_department_gets_the_work_item() -> None:
    webhook, mailbox = ScriptedSender(), ScriptedSender(["<m@stadtmelder>"])
    send_log = InMemorySendLog()
    dispatcher = a_dispatcher({"webhook": webhook, "email": mailbox}, send_log)

    outcomes = await dispatcher.dispatch(a_work_item(), a_department(WEBHOOK, MAILBOX))

    assert [(o.method, o.result) for o in outcomes] == [
        ("webhook https://licht.example/hooks/work", "delivered"),
        ("email licht@stadt-duisburg.example", "delivered"),
    ]
    assert [call[1] for call in webhook.calls] == [WEBHOOK]
    assert [call[1] for call in mailbox.calls] == [MAILBOX]
    [mail_send] = [s for s in send_log.sends.values() if s.method == MAILBOX]
    assert mail_send.receipt == "<m@stadtmelder>"


async def test_kafka_method_publishes_to_the_department_work_topic() -> None:
    kafka = RecordingPublisher()
    dispatcher = a_dispatcher({"kafka": KafkaTopicSender(kafka)})
    item = a_work_item()

    [outcome] = await dispatcher.dispatch(item, a_department())

    assert outcome.result == "delivered"
    assert kafka.published == [("departments.stadt-licht.work", item)]


async def test_a_send_in_the_records_transaction_is_sent_each_time_without_the_send_log() -> None:
    kafka, mailbox, send_log = RecordingPublisher(), ScriptedSender(), InMemorySendLog()
    dispatcher = Dispatcher(
        {"kafka": KafkaTopicSender(kafka), "email": mailbox},
        send_log,
        RecordingPublisher(),
        policy=FAST,
        atomic=lambda method: method.kind == "kafka",
    )
    item = a_work_item()

    for _ in range(2):  # an aborted transaction's record comes again: its sends never happened
        outcomes = await dispatcher.dispatch(item, a_department(KAFKA, MAILBOX))

    assert [o.result for o in outcomes] == ["delivered", "already_delivered"]
    assert kafka.published == [("departments.stadt-licht.work", item)] * 2
    assert len(mailbox.calls) == 1
    assert [s.method for s in send_log.sends.values()] == [MAILBOX]


async def test_transient_failures_are_retried_until_delivered() -> None:
    flaky = ScriptedSender([SendError("webhook answered HTTP 500"), ConnectionError("reset")])
    send_log = InMemorySendLog()
    dispatcher = a_dispatcher({"webhook": flaky}, send_log)

    [outcome] = await dispatcher.dispatch(a_work_item(), a_department(WEBHOOK))

    assert (outcome.result, outcome.attempts) == ("delivered", 3)
    [send] = send_log.sends.values()
    assert (send.status, send.attempts) == ("delivered", 3)
    assert send.last_error == "ConnectionError"


async def test_permanent_failure_is_not_retried_in_the_round() -> None:
    refused = ScriptedSender([PermanentSendError("webhook refused the work item with HTTP 400")])
    send_log = InMemorySendLog()
    dispatcher = a_dispatcher({"webhook": refused}, send_log)

    [outcome] = await dispatcher.dispatch(a_work_item(), a_department(WEBHOOK))

    assert (outcome.result, outcome.attempts) == ("failed", 1)
    assert len(refused.calls) == 1
    assert send_log.statuses() == {"webhook https://licht.example/hooks/work": "failed"}


async def test_exhausted_attempts_record_failed_announce_it_and_do_not_raise() -> None:
    down = ScriptedSender([SendError("webhook answered HTTP 503")] * 3)
    send_log, publisher = InMemorySendLog(), RecordingPublisher()
    dispatcher = a_dispatcher({"webhook": down}, send_log, publisher)
    item = a_work_item()

    [outcome] = await dispatcher.dispatch(item, a_department(WEBHOOK))

    assert (outcome.result, outcome.attempts) == ("failed", 3)
    assert outcome.error == "webhook answered HTTP 503"
    [record] = await dispatcher.failed_sends(10)
    assert (record.report_id, record.event_id, record.status) == (
        item.report_id,
        item.event_id,
        "failed",
    )
    assert (record.attempts, record.last_error) == (3, "webhook answered HTTP 503")
    [(topic, event)] = publisher.published
    assert topic == topics.WORK_ITEMS_SEND_FAILED
    assert isinstance(event, WorkItemSendFailed)
    assert event.report_id == item.report_id
    assert event.department == item.department
    assert (event.method, event.attempts) == ("webhook https://licht.example/hooks/work", 3)
    assert event.event_id == derived_event_id(item.event_id, f"send-failed:{event.method}")


async def test_a_failing_method_does_not_hold_back_the_others() -> None:
    kafka, down = RecordingPublisher(), ScriptedSender([SendError("down")] * 3)
    send_log = InMemorySendLog()
    dispatcher = a_dispatcher({"kafka": KafkaTopicSender(kafka), "webhook": down}, send_log)

    await dispatcher.dispatch(a_work_item(), a_department(SendMethod("kafka"), WEBHOOK))

    assert send_log.statuses() == {
        "kafka": "delivered",
        "webhook https://licht.example/hooks/work": "failed",
    }
    assert kafka.topics() == ["departments.stadt-licht.work"]


async def test_redelivered_item_is_not_sent_again_by_a_method_that_delivered_it() -> None:
    mailbox = ScriptedSender()
    webhook = ScriptedSender([SendError("down")] * 3)
    dispatcher = a_dispatcher({"email": mailbox, "webhook": webhook})
    department = a_department(MAILBOX, WEBHOOK)

    await dispatcher.dispatch(a_work_item(), department)
    outcomes = await dispatcher.dispatch(a_work_item(), department)

    assert [o.result for o in outcomes] == ["already_delivered", "delivered"]
    assert len(mailbox.calls) == 1
    assert len(webhook.calls) == 4


async def test_failed_send_is_delivered_by_a_later_retry_and_announced_only_once() -> None:
    webhook = ScriptedSender([SendError("down")] * 6)
    send_log, publisher = InMemorySendLog(), RecordingPublisher()
    dispatcher = a_dispatcher({"webhook": webhook}, send_log, publisher)
    item = a_work_item()

    await dispatcher.dispatch(item, a_department(WEBHOOK))
    second = await dispatcher.retry_failed()
    third = await dispatcher.retry_failed()

    assert [o.result for o in second] == ["failed"]
    assert [o.result for o in third] == ["delivered"]
    assert len(publisher.published) == 1
    [send] = send_log.sends.values()
    assert (send.status, send.attempts) == ("delivered", 7)
    assert await dispatcher.failed_sends(10) == []
    assert await dispatcher.retry_failed() == []


async def test_failure_that_could_not_be_announced_is_announced_by_the_next_round() -> None:
    webhook = ScriptedSender([SendError("down")] * 6)
    send_log, publisher = InMemorySendLog(), RecordingPublisher(failing=True)
    dispatcher = a_dispatcher({"webhook": webhook}, send_log, publisher)

    [outcome] = await dispatcher.dispatch(a_work_item(), a_department(WEBHOOK))
    publisher.failing = False
    await dispatcher.retry_failed()

    assert outcome.result == "failed"
    [(_, event)] = publisher.published
    assert isinstance(event, WorkItemSendFailed)
    assert event.attempts == 6


class CountedClaims(InMemorySendLog):
    claims = 0

    async def claim(
        self, item: WorkItemQueued, method: SendMethod, now: datetime, lease_until: datetime
    ) -> Claim:
        self.claims += 1
        return await super().claim(item, method, now, lease_until)


async def test_a_redelivered_item_waits_out_the_lease_of_a_worker_killed_mid_send() -> None:
    clock, send_log, webhook = Clock(), CountedClaims(), ScriptedSender()
    item = a_work_item()
    # The killed worker's claim, never renewed again.
    await send_log.claim(item, WEBHOOK, clock(), clock() + timedelta(seconds=FAST.lease_s))
    dispatcher = a_dispatcher({"webhook": webhook}, send_log, clock=clock)

    dispatching = asyncio.create_task(dispatcher.dispatch(item, a_department(WEBHOOK)))
    await wait_until(lambda: _value(send_log.claims >= 3), what="the claim to be tried again")
    assert webhook.calls == [], "sent while the lease was still held"
    clock.advance(FAST.lease_s + 1)
    [sent] = await dispatching

    assert sent.result == "delivered"
    assert len(webhook.calls) == 1


class SendLogAwayOnce(InMemorySendLog):
    """Its first `mark_delivered` fails, as when the database restarts."""

    away = True

    async def mark_delivered(
        self, key: str, receipt: str | None, attempts: int, last_error: str | None, at: datetime
    ) -> None:
        if self.away:
            self.away = False
            raise ConnectionError("FerretDB is restarting")
        await super().mark_delivered(key, receipt, attempts, last_error, at)


async def test_an_item_delivered_while_the_send_log_was_away_is_recorded_not_resent() -> None:
    clock, send_log, webhook = Clock(), SendLogAwayOnce(), ScriptedSender(["BO-7"])
    item = a_work_item()
    dispatcher = a_dispatcher({"webhook": webhook}, send_log, clock=clock)

    with pytest.raises(ExceptionGroup):  # the consumer does not commit: the item comes again
        await dispatcher.dispatch(item, a_department(WEBHOOK))
    clock.advance(FAST.lease_s + 1)
    [again] = await dispatcher.dispatch(item, a_department(WEBHOOK))

    assert again.result == "already_delivered"
    assert len(webhook.calls) == 1
    [record] = await send_log.of_report(item.report_id)
    assert (record.status, record.receipt) == ("delivered", "BO-7")


async def test_a_send_left_pending_by_a_crash_is_retried_once_its_lease_ran_out() -> None:
    clock, send_log, webhook = Clock(), InMemorySendLog(), ScriptedSender()
    item = a_work_item()
    await send_log.claim(item, WEBHOOK, clock(), clock() + timedelta(seconds=FAST.lease_s))
    dispatcher = a_dispatcher({"webhook": webhook}, send_log, clock=clock)

    assert await dispatcher.retry_failed() == []
    clock.advance(FAST.lease_s + 1)
    [retried] = await dispatcher.retry_failed()

    assert retried.result == "delivered"
    assert len(webhook.calls) == 1


class ScriptedCheck:
    """The department's topic, asked whether an item arrived: answers `answer` (or raises it)."""

    def __init__(self, answer: bool | BaseException) -> None:
        self.answer = answer
        self.asked: list[datetime] = []

    async def delivered_since(self, item: WorkItemQueued, since: datetime) -> bool:
        self.asked.append(since)
        if isinstance(self.answer, BaseException):
            raise self.answer
        return self.answer


async def killed_mid_round(send_log: InMemorySendLog, clock: Clock, item: WorkItemQueued) -> None:
    """A worker claimed the kafka send and was killed before recording anything."""
    await send_log.claim(item, KAFKA, clock(), clock() + timedelta(seconds=FAST.lease_s))
    clock.advance(FAST.lease_s + 1)


async def test_an_item_on_the_topic_from_a_round_cut_off_by_a_kill_is_recorded_not_resent() -> None:
    clock, send_log, kafka = Clock(), InMemorySendLog(), ScriptedSender()
    item, on_the_topic = a_work_item(), ScriptedCheck(True)
    first_claimed = clock()
    await killed_mid_round(send_log, clock, item)
    dispatcher = a_dispatcher(
        {"kafka": kafka}, send_log, clock=clock, checks={"kafka": on_the_topic}
    )

    [again] = await dispatcher.dispatch(item, a_department(KAFKA))

    assert again.result == "already_delivered"
    assert kafka.calls == []
    assert on_the_topic.asked == [first_claimed]
    [record] = await send_log.of_report(item.report_id)
    assert record.status == "delivered"


async def test_after_a_kill_an_item_not_found_on_the_topic_or_not_looked_up_is_sent() -> None:
    for answer in (False, KafkaConnectionError()):
        clock, send_log, kafka = Clock(), InMemorySendLog(), ScriptedSender()
        item = a_work_item()
        await killed_mid_round(send_log, clock, item)
        checks: dict[SendKind, DeliveryCheck] = {"kafka": ScriptedCheck(answer)}
        dispatcher = a_dispatcher({"kafka": kafka}, send_log, clock=clock, checks=checks)

        [sent] = await dispatcher.dispatch(item, a_department(KAFKA))

        assert sent.result == "delivered", answer
        assert len(kafka.calls) == 1, answer


async def test_a_first_claim_sends_without_asking_the_topic() -> None:
    kafka, on_the_topic = ScriptedSender(), ScriptedCheck(True)
    dispatcher = a_dispatcher({"kafka": kafka}, checks={"kafka": on_the_topic})

    [sent] = await dispatcher.dispatch(a_work_item(), a_department(KAFKA))

    assert sent.result == "delivered"
    assert on_the_topic.asked == []


class GatedSender:
    """Sends once `gate` is set; counts its calls."""

    def __init__(self) -> None:
        self.gate = asyncio.Event()
        self.calls = 0

    async def send(self, item: WorkItemQueued, method: SendMethod) -> str | None:
        self.calls += 1
        await self.gate.wait()
        return None


async def test_a_long_send_keeps_its_lease_so_no_other_worker_takes_it_over() -> None:
    slow = GatedSender()
    clock, send_log = Clock(), InMemorySendLog()
    dispatcher = Dispatcher(
        {"webhook": slow},
        send_log,
        RecordingPublisher(),
        policy=RetryPolicy(attempts=1, lease_s=0.06),
        clock=clock,
    )
    sending = asyncio.create_task(dispatcher.dispatch(a_work_item(), a_department(WEBHOOK)))
    await wait_until(lambda: _value(slow.calls), what="the send to start")
    clock.advance(60)  # far past the first lease

    await wait_until(
        lambda: _value(
            all(
                send.lease_until is not None and send.lease_until > clock()
                for send in send_log.sends.values()
            )
        ),
        what="the lease to be renewed",
    )
    other_worker = a_dispatcher({"webhook": GatedSender()}, send_log, clock=clock)
    assert await other_worker.retry_failed() == []
    slow.gate.set()
    [sent] = await sending

    assert sent.result == "delivered"
    assert slow.calls == 1


async def test_the_same_item_dispatched_twice_at_once_is_sent_once() -> None:
    slow = GatedSender()
    dispatcher = a_dispatcher({"webhook": slow})
    department = a_department(WEBHOOK)
    first = asyncio.create_task(dispatcher.dispatch(a_work_item(), department))
    await wait_until(lambda: _value(slow.calls), what="the first send to start")

    [second] = await dispatcher.dispatch(a_work_item(), department)
    slow.gate.set()
    [first_outcome] = await first

    assert (first_outcome.result, second.result) == ("delivered", "in_progress")
    assert slow.calls == 1


async def test_method_without_a_sender_is_recorded_as_failed() -> None:
    send_log = InMemorySendLog()
    dispatcher = a_dispatcher({}, send_log)

    [outcome] = await dispatcher.dispatch(a_work_item(), a_department(WEBHOOK))

    assert outcome.result == "failed"
    assert outcome.error == "no sender for webhook methods is configured"


async def test_recorded_errors_and_logs_carry_no_work_item_contents(
    caplog: pytest.LogCaptureFixture,
) -> None:
    item = a_work_item()
    leaky = ScriptedSender([ValueError(f"cannot encode {item.description}")] * 3)
    send_log = InMemorySendLog()
    dispatcher = a_dispatcher({"webhook": leaky}, send_log)

    with caplog.at_level("INFO"):
        await dispatcher.dispatch(item, a_department(WEBHOOK))

    [send] = send_log.sends.values()
    assert send.last_error == "ValueError"
    assert caplog.records
    for record in caplog.records:
        assert item.description not in record.getMessage()
        assert getattr(record, "report_id", None) == item.report_id
        assert getattr(record, "event_id", None) == item.event_id


async def _value(value: int) -> int:
    return value
