"""Which reports' outboxes hold events, as the relay's safety net looks for them: the ones this
process queued, kept in memory, and every report now and then.

FerretDB 1.24 answers `outbox_pending > 0` by decoding every report (2 to 6 s at 4,000 reports),
so the safety net cannot ask that at every poll. It needs no database to know what this process
queued: every event enters an outbox through `ServerLimits`, which notes it here once written
and forgets it once published. What it cannot know is what another process queued and left
behind by dying: the first scan after a start asks the whole collection (a kill -9 between a
write and its publication), and so does every `WHOLE_SCAN_S` after it (a replica that died and
was not started again). That replaced a side collection with one entry per waiting event,
written before each report and deleted after each publication: a command per report each.
"""

import time
from collections.abc import Iterable

# How often the whole collection is asked, for what a process that died without a restart left.
WHOLE_SCAN_S = 300.0


class WaitingEvents:
    """Event ids by report that this process queued and has not seen published, each with the
    moment it was noted."""

    def __init__(self, whole_scan_s: float = WHOLE_SCAN_S) -> None:
        self._waiting: dict[str, dict[str, float]] = {}
        self._whole_scan_s = whole_scan_s
        self._scanned_at = -float("inf")

    def note(self, report_id: str, event_ids: Iterable[str]) -> None:
        now = time.monotonic()
        for event_id in event_ids:
            self._waiting.setdefault(report_id, {})[event_id] = now

    def forget(self, report_id: str, event_ids: Iterable[str]) -> None:
        left = self._waiting.get(report_id, {})
        for event_id in event_ids:
            left.pop(event_id, None)
        if not left:
            self._waiting.pop(report_id, None)

    def keep_only(self, report_id: str, event_ids: Iterable[str], read_at: float) -> None:
        """The report read at `read_at` (monotonic) had these events waiting: others noted
        before were published meanwhile; one noted since may not have been written then."""
        waiting = set(event_ids)
        left = self._waiting.get(report_id, {})
        gone = [e for e, noted in left.items() if noted < read_at and e not in waiting]
        self.forget(report_id, gone)

    def reports(self, limit: int) -> list[str]:
        return list(self._waiting)[:limit]

    def count(self) -> int:
        return sum(len(ids) for ids in self._waiting.values())

    @property
    def whole_scan_due(self) -> bool:
        return time.monotonic() - self._scanned_at >= self._whole_scan_s

    def scan_again(self) -> None:
        self._scanned_at = -float("inf")

    def scanned(self) -> None:
        """The whole collection was read to its end."""
        self._scanned_at = time.monotonic()
