"""The send log's contract, for `MongoSendLog` on real FerretDB and for the in-memory fake."""

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from stadtmelder_routing.sending.dispatcher import Dispatcher, RetryPolicy
from stadtmelder_routing.sending.send_log import ClaimState, MongoSendLog, SendLog, send_key
from stadtmelder_shared.departments import SendMethod
from stadtmelder_shared.work_item_events import WorkItemQueued
from tests.fakes import RecordingPublisher
from tests.sending_fakes import (
    InMemorySendLog,
    ScriptedSender,
    a_department,
    a_work_item,
)

pytestmark = pytest.mark.integration

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)
WEBHOOK = SendMethod("webhook", url="https://licht.example/hooks/work", secret_env="LICHT_SECRET")
MAILBOX = SendMethod("email", mailbox="licht@stadt-duisburg.example")


@pytest.fixture
async def send_log(database: Any) -> SendLog:
    if database is None:
        return InMemorySendLog()
    log = MongoSendLog(database)
    await log.ensure_indexes()
    return log


def an_item(number: int = 1) -> WorkItemQueued:
    return a_work_item(report_id=f"R{number:08d}X", event_id=str(uuid.uuid4()))


async def test_first_claim_takes_the_send_and_a_second_finds_it_held(send_log: SendLog) -> None:
    item = an_item()

    first = await send_log.claim(item, WEBHOOK, T0, T0 + LEASE)
    second = await send_log.claim(item, WEBHOOK, T0 + timedelta(seconds=1), T0 + LEASE)
    other_method = await send_log.claim(item, MAILBOX, T0, T0 + LEASE)

    assert (first.state, first.attempts, first.failure_announced) == (ClaimState.CLAIMED, 0, False)
    assert second.state is ClaimState.HELD_ELSEWHERE
    assert other_method.state is ClaimState.CLAIMED


async def test_a_renewed_lease_keeps_the_send_held_past_its_first_end(send_log: SendLog) -> None:
    item = an_item()
    await send_log.claim(item, WEBHOOK, T0, T0 + LEASE)
    await send_log.extend(send_key(item.event_id, WEBHOOK), T0 + 3 * LEASE)

    during = await send_log.claim(item, WEBHOOK, T0 + 2 * LEASE, T0 + 3 * LEASE)
    after = await send_log.claim(item, WEBHOOK, T0 + 3 * LEASE, T0 + 4 * LEASE)

    assert during.state is ClaimState.HELD_ELSEWHERE
    assert after.state is ClaimState.CLAIMED


async def test_a_delivered_send_is_never_claimed_again(send_log: SendLog) -> None:
    item = an_item()
    key = send_key(item.event_id, WEBHOOK)
    await send_log.claim(item, WEBHOOK, T0, T0 + LEASE)
    await send_log.mark_delivered(
        key, "BO-1", 2, "webhook answered HTTP 502", T0 + timedelta(seconds=2)
    )

    later = await send_log.claim(item, WEBHOOK, T0 + timedelta(hours=1), T0 + timedelta(hours=2))

    assert later.state is ClaimState.DELIVERED
    [record] = await send_log.of_report(item.report_id)
    assert (record.status, record.attempts, record.receipt) == ("delivered", 2, "BO-1")
    assert record.last_error == "webhook answered HTTP 502"
    assert record.delivered_at == T0 + timedelta(seconds=2)


async def test_a_failed_send_is_listed_and_can_be_claimed_again_with_its_history(
    send_log: SendLog,
) -> None:
    item = an_item()
    key = send_key(item.event_id, WEBHOOK)
    await send_log.claim(item, WEBHOOK, T0, T0 + LEASE)
    failed_at = T0 + timedelta(seconds=3)
    await send_log.mark_failed(
        key, "webhook answered HTTP 503", 2, failed_at, failure_announced=True
    )

    [record] = await send_log.failed(10)
    again = await send_log.claim(item, WEBHOOK, failed_at, failed_at + LEASE)

    assert (record.event_id, record.report_id, record.department_id) == (
        item.event_id,
        item.report_id,
        "stadt-licht",
    )
    assert (record.method, record.status) == ("webhook https://licht.example/hooks/work", "failed")
    assert (record.attempts, record.last_error) == (2, "webhook answered HTTP 503")
    assert (record.created_at, record.failed_at) == (T0, failed_at)
    assert (again.state, again.attempts, again.failure_announced) == (ClaimState.CLAIMED, 2, True)


async def test_unfinished_sends_are_failed_ones_and_pending_ones_whose_lease_ran_out(
    send_log: SendLog,
) -> None:
    failed, crashed, running, delivered = an_item(1), an_item(2), an_item(3), an_item(4)
    for item in (failed, crashed, running, delivered):
        await send_log.claim(item, WEBHOOK, T0, T0 + LEASE)
    await send_log.mark_failed(
        send_key(failed.event_id, WEBHOOK),
        "down",
        5,
        T0 + timedelta(seconds=1),
        failure_announced=False,
    )
    await send_log.mark_delivered(send_key(delivered.event_id, WEBHOOK), None, 1, None, T0)
    later = T0 + LEASE
    await send_log.claim(running, WEBHOOK, later, later + LEASE)

    due = await send_log.unfinished(later, 10)

    assert [(send.item, send.method) for send in due] == [(crashed, WEBHOOK), (failed, WEBHOOK)]
    assert len(await send_log.unfinished(later, 1)) == 1
    assert await send_log.unfinished(T0, 10) == []


async def test_the_work_item_comes_back_whole_even_with_awkward_answers(
    send_log: SendLog,
) -> None:
    item = WorkItemQueued.model_validate(
        an_item().model_dump() | {"answers": {"a.b": ["x", "y"], "$odd": "1", "n": 2.5}}
    )
    await send_log.claim(item, MAILBOX, T0, T0)

    [send] = await send_log.unfinished(T0, 10)

    assert send.item == item
    assert send.method == MAILBOX


async def test_failed_sends_are_listed_most_recent_first(send_log: SendLog) -> None:
    items = [an_item(n) for n in range(3)]
    for n, item in enumerate(items):
        key = send_key(item.event_id, WEBHOOK)
        await send_log.claim(item, WEBHOOK, T0, T0 + LEASE)
        await send_log.mark_failed(
            key, "down", 5, T0 + timedelta(minutes=n), failure_announced=False
        )

    listed = await send_log.failed(2)

    assert [record.report_id for record in listed] == [items[2].report_id, items[1].report_id]


async def test_a_redelivered_item_is_not_sent_again_through_the_real_log(
    send_log: SendLog,
) -> None:
    mailbox, webhook = ScriptedSender(), ScriptedSender(["ok"])
    dispatcher = Dispatcher(
        {"email": mailbox, "webhook": webhook},
        send_log,
        RecordingPublisher(),
        policy=RetryPolicy(attempts=2, first_wait_s=0, max_wait_s=0),
    )
    item, department = an_item(), a_department(MAILBOX, WEBHOOK)

    first = await dispatcher.dispatch(item, department)
    again = await dispatcher.dispatch(item, department)

    assert [o.result for o in first] == ["delivered", "delivered"]
    assert [o.result for o in again] == ["already_delivered", "already_delivered"]
    assert (len(mailbox.calls), len(webhook.calls)) == (1, 1)
    assert {r.status for r in await send_log.of_report(item.report_id)} == {"delivered"}
