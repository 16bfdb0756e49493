"""What the reports' outbox relay knows is waiting without asking the database."""

import time

from stadtmelder_reports.core.outbox_waiting import WaitingEvents


def test_events_wait_from_their_write_until_published_and_are_counted() -> None:
    waiting = WaitingEvents()
    waiting.note("R1", ["e1", "e2"])
    waiting.note("R2", ["e3"])
    waiting.forget("R1", ["e1"])

    assert waiting.reports(10) == ["R1", "R2"]
    assert waiting.count() == 2

    waiting.forget("R1", ["e2"])
    waiting.forget("R9", ["e9"])
    assert waiting.reports(10) == ["R2"]


def test_a_read_drops_only_events_noted_before_it_that_it_did_not_find() -> None:
    waiting = WaitingEvents()
    waiting.note("R1", ["published-meanwhile", "still-there"])
    read_at = time.monotonic()
    waiting.note("R1", ["queued-after-the-read"])

    waiting.keep_only("R1", ["still-there"], read_at)

    assert waiting.count() == 2
    waiting.keep_only("R1", [], time.monotonic())
    assert waiting.reports(10) == []


def test_the_whole_collection_is_scanned_at_first_and_again_after_the_period() -> None:
    waiting = WaitingEvents(whole_scan_s=3600)
    assert waiting.whole_scan_due
    waiting.scanned()
    assert not waiting.whole_scan_due
    assert WaitingEvents(whole_scan_s=0).whole_scan_due
