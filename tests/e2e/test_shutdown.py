"""Each service is stopped with SIGTERM (as Kubernetes does on a rollout) in the middle of a burst
of reports and started again: afterwards every accepted report is stored, routed, on its
department's topic and mailed, and nothing of it happened twice."""

import asyncio
import contextlib
import json
import subprocess
import sys
import time
import uuid
from collections import Counter
from typing import Any

import httpx
import pytest
from aiokafka import AIOKafkaConsumer, TopicPartition

from stadtmelder_reports.core.catalogue import load_jurisdiction
from tests.conftest import LocalSystem
from tests.e2e.test_notify_crash import MailIndex, expected_subjects
from tests.examples import valid_answers
from tests.system import ROOT, wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()
# Two reports every half second: the burst lasts through three stops and starts without
# piling up more than FerretDB handles on a shared machine.
BATCH = 2
PACE_SECONDS = 0.5
# Mails that must arrive between two stops, so each stop hits a system under load.
PROGRESS_MAILS = 4


class Burst:
    """Submits reports until told to stop; a submission refused while reports is down is
    retried, as an app would. Keeps the id of every report the service accepted."""

    def __init__(self, system: LocalSystem) -> None:
        self._system = system
        self._run = uuid.uuid4().hex[:8]
        self.accepted: dict[str, str] = {}  # address -> report id
        self.refused = 0
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        async with httpx.AsyncClient(base_url=self._system.reports_url, timeout=30) as api:
            number = 0
            while not self._stopping.is_set():
                addresses = [f"sigterm-{self._run}-{number + i}@example.org" for i in range(BATCH)]
                number += BATCH
                await asyncio.gather(*(self._submit(api, address) for address in addresses))
                await asyncio.sleep(PACE_SECONDS)

    async def _submit(self, api: httpx.AsyncClient, address: str) -> None:
        body = {
            "category": "street_light_out",
            "answers": valid_answers(DUISBURG.category("street_light_out")),
            "description": f"Die Laterne ist dunkel ({uuid.uuid4().hex[:6]}).",
            "lat": 51.4344,
            "lon": 6.7623,
            "email": address,
            "language": "en",
        }
        deadline = time.monotonic() + 60
        while True:
            try:
                response = await api.post("/api/v1/reports", json=body)
            except httpx.TransportError:
                # Not accepted: the service no longer (or not yet) takes connections.
                self.refused += 1
                if time.monotonic() > deadline:
                    raise
                await asyncio.sleep(0.2)
                continue
            assert response.status_code == 201, response.text
            self.accepted[address] = str(response.json()["id"])
            return


def sigterm_and_restart(service: str) -> str:
    """Stop `service` with SIGTERM, start it again; returns what the stop command said."""
    stack = [sys.executable, str(ROOT / "deploy/local/stack.py"), "--profile", "test"]
    stopped = subprocess.run(
        [*stack, "stop", service], check=True, capture_output=True, text=True
    ).stdout
    subprocess.run([*stack, "start", service], check=True, capture_output=True)
    return stopped


async def keys_on_topic(bootstrap: str, topic: str) -> Counter[str]:
    """How often each key occurs on `topic`, read once from the beginning."""
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap, enable_auto_commit=False, isolation_level="read_committed"
    )
    await consumer.start()
    try:
        await consumer._client.force_metadata_update()
        assigned = [TopicPartition(topic, p) for p in consumer.partitions_for_topic(topic) or ()]
        consumer.assign(assigned)
        await consumer.seek_to_beginning(*assigned)
        ends = await consumer.end_offsets(assigned)
        keys: Counter[str] = Counter()
        for tp in assigned:
            while await consumer.position(tp) < ends[tp]:
                batch = await consumer.getmany(tp, timeout_ms=1000)
                keys.update(record.key.decode() for record in batch.get(tp, []) if record.key)
        return keys
    finally:
        await consumer.stop()


async def test_sigterm_of_each_service_during_a_burst_loses_and_duplicates_nothing(
    running_system: LocalSystem,
) -> None:
    burst = Burst(running_system)
    index = MailIndex(running_system.mail_dir)

    def arrived() -> int:
        return sum(len(s) for s in index.subjects_by_address(set(burst.accepted)).values())

    submitting = asyncio.create_task(burst.run())
    said: dict[str, str] = {}
    try:
        for service in ("routing", "notify", "reports"):
            before = arrived()

            async def progressed(before: int = before) -> int | None:
                count = arrived()
                return count if count >= before + PROGRESS_MAILS else None

            await wait_until(progressed, timeout=60, interval=0.1, what=f"mails before {service}")
            said[service] = await asyncio.to_thread(sigterm_and_restart, service)
        # Some more after the last restart, then the burst ends.
        before = arrived()

        async def after_all(before: int = before) -> int | None:
            count = arrived()
            return count if count >= before + PROGRESS_MAILS else None

        await wait_until(after_all, timeout=60, interval=0.1, what="mails after the restarts")
    finally:
        burst.stop()
        await submitting
    accepted = dict(burst.accepted)
    print(f"{len(accepted)} reports accepted, {burst.refused} submissions refused meanwhile")

    # Each service finished its work and exited on SIGTERM, none had to be killed.
    for service, output in said.items():
        assert "stopped" in output, output
        assert "killed" not in output, f"{service}: {output}"

    async def all_mailed() -> bool:
        found = index.subjects_by_address(set(accepted))
        return all(len(found[address]) >= 2 for address in accepted)

    await wait_until(all_mailed, timeout=90, interval=0.5, what="both mails for every report")

    reports: dict[str, Any] = {}
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as api:
        for report_id in accepted.values():
            response = await api.get(f"/api/v1/reports/{report_id}")
            assert response.status_code == 200, f"{report_id} was accepted but is not stored"
            reports[report_id] = response.json()

        # The mails can overtake reports' own reading of reports.routed after its restart.
        async def all_routed() -> bool:
            for report_id, report in reports.items():
                if report["department"] is None:
                    reports[report_id] = (await api.get(f"/api/v1/reports/{report_id}")).json()
            return all(report["department"] is not None for report in reports.values())

        with contextlib.suppress(AssertionError):
            await wait_until(all_routed, timeout=60, interval=0.5, what="every report routed")
    unrouted = [rid for rid, report in reports.items() if report["department"] is None]
    assert not unrouted, f"{len(unrouted)} accepted reports were never routed: {unrouted}"

    departments = {report["department"]["id"] for report in reports.values()}
    on_topics: Counter[str] = Counter()
    for department in departments:
        on_topics += await keys_on_topic(running_system.kafka, f"departments.{department}.work")
    wrong_count = {rid: on_topics[rid] for rid in accepted.values() if on_topics[rid] != 1}
    assert not wrong_count, f"work items not exactly once on the department topic: {wrong_count}"

    # Offsets were committed before each consumer left, and the relay marked what it sent:
    # routing (whose log starts at its restart) saw no submission a second time.
    profile: Any = running_system.profile
    lines = profile.log_file("routing").read_text().splitlines()
    again = [
        entry["report_id"]
        for entry in (json.loads(line) for line in lines if line.startswith("{"))
        if entry.get("report_id") in reports and "redelivery ignored" in entry["message"]
    ]
    assert not again, f"routing got {len(again)} submissions twice: {again}"

    received = index.subjects_by_address(set(accepted))
    wrong_mails = {
        address: dict(Counter(subjects))
        for address, subjects in received.items()
        if sorted(subjects) != expected_subjects(accepted[address])
    }
    assert not wrong_mails, f"{len(wrong_mails)} of {len(accepted)} got wrong mails: {wrong_mails}"
