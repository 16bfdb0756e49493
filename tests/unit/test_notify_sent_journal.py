"""The sent journal: what a killed process's server accepted is marked sent on the next start."""

import errno
import os
from datetime import UTC, datetime
from pathlib import Path

import pytest

from stadtmelder_notify.delivery.sent_journal import SentJournal

AT = datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


class Recorded:
    def __init__(self) -> None:
        self.sent: list[tuple[str, datetime, str | None]] = []

    async def __call__(self, key: str, at: datetime, recipient: str | None) -> None:
        self.sent.append((key, at, recipient))


def killed(journal: SentJournal) -> None:
    """What kill -9 leaves: the file as written, its lock gone with the process."""
    journal.close()


async def test_a_message_accepted_before_a_kill_is_marked_sent_on_the_next_start(
    tmp_path: Path,
) -> None:
    before = SentJournal(tmp_path)
    before.open()
    before.record("key-1", AT, "recipient-1")
    before.record("key-2", AT, None)
    before.settle("key-2")  # the database had this one
    killed(before)

    after = SentJournal(tmp_path)
    after.open()
    recorded = Recorded()
    assert await after.replay(recorded) == 2
    # Marking sent twice is harmless; forgetting one is not.
    assert ("key-1", AT, "recipient-1") in recorded.sent

    again = Recorded()
    assert await after.replay(again) == 0, "a replayed journal is emptied"


async def test_a_live_process_keeps_its_own_file(tmp_path: Path) -> None:
    first = SentJournal(tmp_path)
    first.open()
    first.record("in-flight", AT, None)

    second = SentJournal(tmp_path)
    second.open()
    recorded = Recorded()
    assert await second.replay(recorded) == 0
    assert len(list(tmp_path.glob("sent-*.jsonl"))) == 2

    killed(first)
    assert await second.replay(recorded) == 1
    assert recorded.sent == [("in-flight", AT, None)]
    second.close()


async def test_the_file_is_emptied_once_all_in_it_are_in_the_database(tmp_path: Path) -> None:
    journal = SentJournal(tmp_path)
    journal.open()
    [path] = tmp_path.glob("sent-*.jsonl")
    for number in range(5):
        journal.record(f"key-{number}", AT, None)
    for number in range(4):
        journal.settle(f"key-{number}")
    assert b"key-4" in path.read_bytes(), "kept while one message is not in the database yet"
    journal.settle("key-4")
    assert path.stat().st_size == 0
    journal.record("key-5", AT, None)
    assert b"key-5" in path.read_bytes()
    journal.close()


async def test_a_damaged_line_is_skipped_and_the_rest_replayed(tmp_path: Path) -> None:
    journal = SentJournal(tmp_path)
    journal.open()
    journal.record("whole", AT, None)
    killed(journal)
    [path] = tmp_path.glob("sent-*.jsonl")
    with path.open("a") as file:
        file.write('{"key": "cut off')
    recorded = Recorded()
    replayer = SentJournal(tmp_path)
    replayer.open()
    assert await replayer.replay(recorded) == 1
    assert recorded.sent == [("whole", AT, None)]
    replayer.close()


def test_without_open_nothing_is_written(tmp_path: Path) -> None:
    journal = SentJournal(tmp_path)
    journal.record("key", AT, None)
    journal.settle("key")
    assert list(tmp_path.iterdir()) == []


async def test_a_journal_on_a_full_disk_warns_and_the_send_goes_on(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    journal = SentJournal(tmp_path)
    journal.open()

    def disk_full(fd: int, data: bytes) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "write", disk_full)
    journal.record("key-1", AT, None)  # logged, not raised
    monkeypatch.undo()

    assert journal.unsettled("key-1") is None, "not on disk, so not claimed to be"
    assert "No space left on device" in caplog.text
    journal.close()


async def test_a_message_noted_twice_is_replayed_once(tmp_path: Path) -> None:
    before = SentJournal(tmp_path)
    before.open()
    before.record("key-1", AT, None)  # by the mailer, at the 250
    before.record("key-1", AT, None)  # by mark_sent, before the database
    killed(before)

    after = SentJournal(tmp_path)
    after.open()
    recorded = Recorded()
    assert await after.replay(recorded) == 1
    after.close()


async def test_a_running_replica_replays_a_killed_ones_file_but_not_its_own(
    tmp_path: Path,
) -> None:
    killed_replica, survivor = SentJournal(tmp_path), SentJournal(tmp_path)
    killed_replica.open()
    survivor.open()
    survivor.record("mine", AT, None)  # still on its way to the database: not replayed here
    killed_replica.record("theirs", AT, "recipient-1")
    killed(killed_replica)

    recorded = Recorded()
    assert await survivor.replay(recorded, own_too=False) == 1
    assert recorded.sent == [("theirs", AT, "recipient-1")]
    assert survivor.unsettled("mine") == (AT, None)
    survivor.close()
