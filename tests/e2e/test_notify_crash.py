"""Notify is killed with SIGKILL in the middle of a burst of reports and restarted: afterwards
every reporter has exactly their confirmation and their routed mail, none lost, none twice.

Plain SMTP has no way to ask whether a message arrived, so the moment after the server's "250
accepted" matters: notify notes the acceptance in its local sent journal before anything else runs,
and the restarted notify marks what it finds there as sent before it consumes. The local SMTP sink
stores nothing for a sender already gone (RFC 5321 3.8).

What no SMTP client can close is the instant between the server's commit and the client reading
its 250 (RFC 1047): a kill exactly then makes the restarted notify send that message again, with
the same Message-ID. Notify's mailer reads the 250 on a thread of its own, so that instant lasts a
few milliseconds at most, however busy the service is (bench/accept_gap.py measures it). The test
allows a resend only of a mail whose first copy the server stored in the moment of the kill
(from RESEND_WINDOW_S before it until it was done), and at most one: it fails on any other repeat,
on a second message with a Message-ID of its own, and on a missing one."""

import asyncio
import email
import email.policy
import functools
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_shared import topics
from stadtmelder_shared.kafka import group_for
from tests.conftest import LocalSystem
from tests.examples import valid_answers
from tests.system import caught_up, wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()
REPORTS = 40
BATCH = 5
# Enough mails arrived before the kill that notify is surely in the middle of the burst.
KILL_AFTER_MAILS = 6
# RFC 1047: a mail the server stored this shortly before the kill may not have been noted yet.
RESEND_WINDOW_S = 0.05


class MailIndex:
    """The SMTP sink's files since the index was made, each parsed once: a file never changes
    after the sink renamed it into place. (`Mailbox.messages_to` parses the whole directory on
    every call, which takes seconds once the test state holds some thousand mails.)"""

    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._before = {path.name for path in directory.glob("*.eml")}
        self._seen: dict[str, tuple[str, str, str]] = {}

    def subjects_by_address(self, addresses: set[str]) -> dict[str, list[str]]:
        for path in sorted(self._directory.glob("*.eml")):
            if path.name in self._before or path.name in self._seen:
                continue
            message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
            to = str(message.get("To", "")).lower()
            self._seen[path.name] = (to, str(message["Subject"]), str(message["Message-ID"]))
        found: dict[str, list[str]] = {address: [] for address in addresses}
        for to, subject, _ in self._seen.values():
            if to in found:
                found[to].append(subject)
        return found

    def first_stored(self, message_id: str) -> float:
        """When the sink stored the first copy of `message_id` (its file name), as a Unix time."""
        names = [name for name, (_, _, seen_id) in self._seen.items() if seen_id == message_id]
        stamp = min(names).split("-")[0]
        return datetime.strptime(stamp, "%Y%m%dT%H%M%S.%fZ").replace(tzinfo=UTC).timestamp()

    def messages_by_address(self, addresses: set[str]) -> dict[str, Counter[tuple[str, str]]]:
        """(Message-ID, subject) of each mail to each address, with how often it arrived."""
        self.subjects_by_address(addresses)
        found: dict[str, Counter[tuple[str, str]]] = {address: Counter() for address in addresses}
        for to, subject, message_id in self._seen.values():
            if to in found:
                found[to][(message_id, subject)] += 1
        return found


def expected_subjects(report_id: str) -> list[str]:
    return sorted(
        [
            f"We have received your report {report_id}",
            f"Your report {report_id} has reached the responsible department",
        ]
    )


async def submit(api: httpx.AsyncClient, address: str) -> str:
    response = await api.post(
        "/api/v1/reports",
        json={
            "category": "street_light_out",
            "answers": valid_answers(DUISBURG.category("street_light_out")),
            "description": f"Die Laterne ist dunkel ({uuid.uuid4().hex[:6]}).",
            "lat": 51.4344,
            "lon": 6.7623,
            "email": address,
            "language": "en",
        },
    )
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


async def submit_burst(system: LocalSystem, addresses: list[str]) -> dict[str, str]:
    """Report id by address, submitted a few at a time."""
    report_ids: dict[str, str] = {}
    async with httpx.AsyncClient(base_url=system.reports_url, timeout=30) as api:
        for start in range(0, len(addresses), BATCH):
            batch = addresses[start : start + BATCH]
            ids = await asyncio.gather(*(submit(api, address) for address in batch))
            report_ids.update(zip(batch, ids, strict=True))
    return report_ids


async def consumed_by_notify(system: LocalSystem, topic: str) -> None:
    """Wait until notify's group of `topic` has passed every record on it."""
    probe = functools.partial(caught_up, system.kafka, group_for("notify", topic), topic)
    await wait_until(probe, timeout=60, interval=0.5, what=f"notify to consume {topic}")


async def test_a_kill_9_of_notify_during_a_burst_loses_and_duplicates_no_mail(
    running_system: LocalSystem,
) -> None:
    run = uuid.uuid4().hex[:8]
    addresses = [f"crash-{run}-{i}@example.org" for i in range(REPORTS)]
    wanted = set(addresses)
    index = MailIndex(running_system.mail_dir)

    def arrived() -> int:
        return sum(len(s) for s in index.subjects_by_address(wanted).values())

    started = time.monotonic()
    burst = asyncio.create_task(submit_burst(running_system, addresses))

    async def some_arrived() -> int | None:
        count = arrived()
        return count if count >= KILL_AFTER_MAILS else None

    await wait_until(some_arrived, timeout=30, interval=0.05, what="the first mails of the burst")
    kill_began = time.time()
    await asyncio.to_thread(running_system.stop, "notify", kill=True)
    kill_done = time.time()
    at_kill = arrived()
    print(f"killed notify {time.monotonic() - started:.1f} s in, {at_kill} mails had arrived")
    report_ids = await burst
    await asyncio.to_thread(running_system.start, "notify")
    restarted = time.monotonic()
    # Otherwise the kill came too late to interrupt anything.
    assert at_kill < 2 * REPORTS

    async def all_arrived() -> bool:
        found = index.subjects_by_address(wanted)
        return all(len(found[address]) >= 2 for address in addresses)

    await wait_until(all_arrived, timeout=60, interval=0.2, what="both mails for every report")
    print(f"all mails arrived {time.monotonic() - restarted:.1f} s after the restart")

    # Every record of the burst is on the topics by now; once notify committed past them, any
    # resend of a redelivered event has happened (a record is committed after it was handled).
    for topic in (topics.REPORTS_SUBMITTED, topics.REPORTS_ROUTED):
        await consumed_by_notify(running_system, topic)
    print(f"notify committed the burst {time.monotonic() - restarted:.1f} s after the restart")

    received = index.messages_by_address(wanted)
    wrong = {
        address: dict(messages)
        for address, messages in received.items()
        if sorted(subject for _, subject in messages) != expected_subjects(report_ids[address])
    }
    assert not wrong, f"{len(wrong)} of {REPORTS} reporters got the wrong mails: {wrong}"
    resent = {
        message_id: (count, index.first_stored(message_id) - kill_began)
        for messages in received.values()
        for (message_id, _), count in messages.items()
        if count > 1
    }
    print(f"resent after the kill (copies, first stored at s from the kill): {resent or 'none'}")
    in_the_gap = {
        message_id
        for message_id, (count, stored) in resent.items()
        if count == 2 and -RESEND_WINDOW_S <= stored <= kill_done - kill_began
    }
    assert set(resent) == in_the_gap, f"sent again, not in the moment of the kill: {resent}"
    assert len(in_the_gap) <= 1, f"more than one mail sent again: {resent}"
