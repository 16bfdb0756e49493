"""A local journal of messages the mail server (or an app, or a push service) just accepted.

The delivery log in the database is written after the server said "accepted". A kill -9 between
the two left the message claimed but not marked sent, and the next claim sent it once more. The
journal closes most of that gap: one `write(2)` of a line right after the acceptance, before the
database round trip. The line is in the kernel once `write` returns, so it survives the process
being killed (not the machine failing; a pod's emptyDir survives its container's restart).

Each process appends to a file of its own in the journal directory and holds an `flock` on it.
On start, a process replays the files nobody holds (those of killed processes) into the
delivery log, then empties them. While running, a file is emptied whenever every message in it
is marked sent in the database, so it stays small and a replay finds little but the gap.
"""

import fcntl
import json
import logging
import os
import threading
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path

log = logging.getLogger(__name__)
MarkSent = Callable[[str, datetime, str | None], Awaitable[None]]
MAX_FILES = 64


class SentJournal:
    def __init__(self, directory: Path) -> None:
        self._directory = directory
        self._fd: int | None = None
        # Accepted by their server, not yet in the database: key -> (when, whose rate limit).
        self._unsettled: dict[str, tuple[datetime, str | None]] = {}
        self._written = False
        # `record` runs on the mailer's thread, `settle` on the main loop: the file must not be
        # emptied between another thread's check and its truncation.
        self._lock = threading.Lock()

    def open(self) -> None:
        """Take a file of our own: the first one no other live process holds."""
        self._directory.mkdir(parents=True, exist_ok=True)
        for number in range(MAX_FILES):
            fd = _locked(self._directory / f"sent-{number}.jsonl")
            if fd is not None:
                self._fd = fd
                return
        raise RuntimeError(f"all {MAX_FILES} journal files in {self._directory} are in use")

    async def replay(self, mark_sent: MarkSent, *, own_too: bool = True) -> int:
        """Mark sent what killed processes journalled but never recorded; returns how many.

        Our own file is replayed too at a start: it may be a file a killed process left behind.
        Without `own_too` (a running replica taking over a killed one's lease), it is not.
        """
        replayed = 0
        for path in sorted(self._directory.glob("sent-*.jsonl")):
            own = self._fd is not None and os.path.samestat(os.fstat(self._fd), path.stat())
            if own and not own_too:
                continue
            fd = self._fd if own else _locked(path)
            if fd is None:
                continue  # a live process holds it
            try:
                for key, at, recipient in _entries(path):
                    await mark_sent(key, at, recipient)
                    replayed += 1
                os.ftruncate(fd, 0)
            finally:
                if not own:
                    os.close(fd)
        if replayed:
            log.warning(
                "the sent journal of a stopped process named %d messages its servers had "
                "accepted; they are marked sent in the delivery log and will not go again",
                replayed,
            )
        return replayed

    def record(self, key: str, at: datetime, recipient: str | None) -> None:
        """Synchronous on purpose: nothing else may run between the acceptance and this.

        Safe from any thread. Never raises: the message is sent, and the database is told next.
        """
        line = json.dumps({"key": key, "at": at.isoformat(), "recipient": recipient})
        with self._lock:
            if self._fd is None or key in self._unsettled:
                return
            try:
                os.write(self._fd, (line + "\n").encode())
            except OSError as error:
                failure = error.strerror
            else:
                self._unsettled[key] = (at, recipient)
                self._written = True
                return
        # Outside the lock: a stalled log must not stall the other thread's `settle`.
        log.warning(
            "the sent journal could not be written (%s); a kill before the delivery log has the "
            "message could send it again",
            failure,
        )

    def settle(self, key: str) -> None:
        """`key` is marked sent in the database; the journal need not remember it."""
        with self._lock:
            self._unsettled.pop(key, None)
            if self._fd is not None and self._written and not self._unsettled:
                os.ftruncate(self._fd, 0)
                self._written = False

    def unsettled(self, key: str) -> tuple[datetime, str | None] | None:
        """When `key` was accepted and whose limit it counts against, if this process sent it
        and the database does not know yet (it was away when we tried)."""
        return self._unsettled.get(key)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None


def _locked(path: Path) -> int | None:
    """The file opened for appending and locked by us, or None if another process holds it."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        return None
    return fd


def _entries(path: Path) -> list[tuple[str, datetime, str | None]]:
    entries = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            entry = json.loads(line)
            entries.append((entry["key"], datetime.fromisoformat(entry["at"]), entry["recipient"]))
        except (ValueError, KeyError, TypeError):
            log.warning("skipped a damaged line in the sent journal %s", path.name)
    return entries
