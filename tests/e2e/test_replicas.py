"""Two replicas of each service on a stack of their own (issue 21): reports through the balancer
each become one work item and reach their reporter once per step, also when a routing and a
notify replica are killed mid-stream and the survivors take their partitions over.

The stack runs at the suite's port offset + 50 (STADTMELDER_TEST_PORT_OFFSET), so it never
shares a broker, database or consumer group with the single-replica services of the other tests.
"""

import argparse
import asyncio
import os
import re
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from bench.chaos import Fault, run_drill
from bench.drills import Tally
from bench.observers import new_run_id, report_body, wait_for_consumers
from bench.replica_faults import kill_consumer_replicas
from bench.target import Target
from stadtmelder_notify.words import Words
from stadtmelder_shared import topics
from stadtmelder_shared.event_values import CategoryRef, DepartmentRef
from stadtmelder_shared.kafka import make_broker, publish_event
from stadtmelder_shared.report_events import ReportRouted
from tests.system import Mailbox, staff_headers, wait_until

pytestmark = pytest.mark.e2e
OWN_OFFSET = 50  # beside the suite's stack: its ports, state directory and data are apart
INSERTED = re.compile(
    r'^stadtmelder_db_commands_total\{collection="reports",command="insert"\} (\S+)$'
)


@pytest.fixture(scope="module")
def replicated() -> Iterator[Target]:
    """Kafka, FerretDB, SMTP sink, sign-in server and two replicas of reports (behind the
    balancer), routing and notify, started clean and stopped after the module."""
    offset = int(os.environ.get("STADTMELDER_TEST_PORT_OFFSET", "0")) + OWN_OFFSET
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("STADTMELDER_TEST_PORT_OFFSET", str(offset))
        patch.setenv("STADTMELDER_REPLICAS", "2")
        target = Target.of("test")
        target.run_stack("reset")
        try:
            target.start("kafka", "ferretdb", "smtp", "oidc", "reports", "routing", "notify")
            yield target
        finally:
            target.run_stack("stop")


async def inserted_reports(port: int) -> float:
    async with httpx.AsyncClient(timeout=10) as client:
        response = await client.get(f"http://127.0.0.1:{port}/metrics")
    found = [INSERTED.match(line) for line in response.text.splitlines()]
    return sum(float(match[1]) for match in found if match)


async def test_the_balancer_spreads_reports_over_both_replicas(replicated: Target) -> None:
    replicas = [replicated.profile.reports_port + 20 * i for i in (1, 2)]
    before = [await inserted_reports(port) for port in replicas]
    run = new_run_id()
    # A connection of its own for each report: the balancer picks a replica per connection.
    for number in range(4):
        async with httpx.AsyncClient(base_url=replicated.reports_url, timeout=30) as client:
            response = await client.post("/api/v1/reports", json=report_body(run, number))
        assert response.status_code == 201, response.text

    after = [await inserted_reports(port) for port in replicas]
    grown = [a - b for a, b in zip(after, before, strict=True)]
    assert grown[0] > 0, f"reports stored by each replica: {grown}"
    assert grown[0] == grown[1], f"reports stored by each replica: {grown}"


def assert_nothing_lost_or_doubled(tally: Tally) -> None:
    assert tally.accepted >= 10, tally
    assert tally.refused == 0, tally
    assert tally.lost == (), f"lost on the way: {tally.lost}"
    assert tally.duplicated == (), f"doubled: {tally.duplicated}"


async def test_killed_routing_and_notify_replicas_lose_and_double_nothing_and_staff_steps_arrive(
    replicated: Target,
) -> None:
    fault = Fault("survivors", "kill -9 of routing-1 and notify-1", kill_consumer_replicas)
    options = argparse.Namespace(rate=4.0, before=3.0, after=5.0, settle=240.0, replicas=2)

    result = await run_drill(replicated, fault, options)

    # Every report once on its department's work topic, each reporter's confirmation and
    # routed mail once, and every consumer committed past the end (late redeliveries counted).
    assert_nothing_lost_or_doubled(result.tally)
    assert result.consumers_behind == []

    # A clerk's step, taken through the balancer by whichever replica, reaches the reporter once.
    report_id, address = await a_routed_report(replicated)
    headers = staff_headers("e2e-replicas-clerk", ["clerk"], "stadt-licht")
    async with httpx.AsyncClient(base_url=replicated.reports_url, timeout=30) as client:
        step = await client.post(
            f"/api/v1/staff/reports/{report_id}/transitions",
            json={"to": "acknowledged"},
            headers=headers,
        )
    assert step.status_code == 200, step.text
    subject = Words("en")("status_acknowledged_subject").format(report_id=report_id)
    mailbox = Mailbox(replicated.mail_dir)

    async def told() -> list[str]:
        subjects = [str(m["Subject"]) for m in mailbox.messages_to(address)]
        return subjects if subject in subjects else []

    await wait_until(told, timeout=120, what="the reporter to hear of the step")
    await wait_for_consumers(replicated.kafka, time.monotonic() + 120)
    assert (await told()).count(subject) == 1


async def a_routed_report(target: Target) -> tuple[str, str]:
    """A fresh report of this module's stack, once routed: its id and its reporter's address."""
    body = report_body(new_run_id(), 0)
    async with httpx.AsyncClient(base_url=target.reports_url, timeout=30) as client:
        response = await client.post("/api/v1/reports", json=body)
        assert response.status_code == 201, response.text
        report_id = str(response.json()["id"])

        async def routed() -> bool:
            view = (await client.get(f"/api/v1/reports/{report_id}")).json()
            return bool(view["status"] == "routed")

        await wait_until(routed, timeout=120, what=f"report {report_id} to be routed")
    return report_id, str(body["email"])


# --- one writer per report: commands (issue 21, docs/scale-out.md plan item 1) --------------------
RACING = 6


async def test_staff_notes_on_both_replicas_and_routed_events_at_once_all_stay_on_the_report(
    replicated: Target,
) -> None:
    """Notes sent to each replica directly while routed events for the same report arrive: the
    owner of the report's partition writes both, so no note and no step is lost (FerretDB
    loses one of two writes of a document that meet)."""
    report_id, _ = await a_routed_report(replicated)
    headers = staff_headers("e2e-replicas-dispatcher", ["dispatcher"])
    path = f"/api/v1/staff/reports/{report_id}"
    async with httpx.AsyncClient(base_url=replicated.reports_url, timeout=30) as client:
        view = (await client.get(path, headers=headers)).json()
    department = DepartmentRef(id=view["department"]["id"], name=view["department"]["name"])
    category = CategoryRef(code="street_light_out", names={"de": "Straßenlaterne"})
    run = new_run_id()
    texts = [f"Notiz {run} {number}" for number in range(RACING)]
    replicas = [replicated.profile.reports_port + 20 * i for i in (1, 2)]
    broker = make_broker(replicated.kafka, client_id="e2e-replica-commands")
    await broker.connect()

    async def note(number: int) -> None:
        port = replicas[number % 2]
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=60) as client:
            body = {"visibility": "internal", "text": texts[number]}
            answer = await client.post(f"{path}/comments", json=body, headers=headers)
        # 202: taken, to be applied by the owner; the note must show all the same.
        assert answer.status_code in (201, 202), answer.text

    async def routed(number: int) -> None:
        event = ReportRouted(
            report_id=report_id,
            jurisdiction="duisburg",
            category=category,
            department=department,
            rule=f"e2e-race-{run}-{number}",
            caused_by=f"e2e-race-{run}",
        )
        await publish_event(broker, topics.REPORTS_ROUTED, event, "/stadtmelder/routing")

    try:
        await asyncio.gather(*(note(n) for n in range(RACING)), *(routed(n) for n in range(RACING)))
    finally:
        await broker.stop()

    async def written() -> dict[str, Any] | None:
        async with httpx.AsyncClient(base_url=replicated.reports_url, timeout=30) as client:
            seen: dict[str, Any] = (await client.get(path, headers=headers)).json()
        routed_steps = [step for step in seen["steps"] if step["status"] == "routed"]
        notes = [n["text"] for n in seen["notes"] if n["text"].startswith(f"Notiz {run}")]
        return seen if len(routed_steps) > RACING and len(notes) == RACING else None

    await wait_until(written, timeout=120, what="every note and routed step on the report")
    final = await written()
    assert final is not None
    assert sorted(n["text"] for n in final["notes"]) == sorted(texts)
    assert [step["status"] for step in final["steps"]].count("routed") == RACING + 1
