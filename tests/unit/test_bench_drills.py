"""The drill accounting of `make chaos`: losses and duplicates of accepted reports."""

from collections import Counter
from dataclasses import replace
from typing import Any

from bench.drills import Observed, mail_kind, tally

BOTH_MAILS = Counter({"confirmation": 1, "routed": 1})
# Two accepted reports that went all the way.
ALL_THE_WAY = Observed(
    accepted={"R1": "a@example.org", "R2": "b@example.org"},
    refused=0,
    stored={"R1", "R2"},
    routed={"R1", "R2"},
    work_items=Counter({"R1": 1, "R2": 1}),
    mails={"R1": BOTH_MAILS, "R2": BOTH_MAILS},
)


def observed(**changes: Any) -> Observed:
    return replace(ALL_THE_WAY, **changes)


def test_a_drill_where_every_report_went_all_the_way_passes() -> None:
    result = tally("kill -9 routing", observed())

    assert result.passed
    assert (result.accepted, result.stored, result.delivered, result.mailed) == (2, 2, 2, 2)


def test_a_report_whose_routed_mail_never_came_is_lost() -> None:
    result = tally("smtp away", observed(mails={"R1": BOTH_MAILS, "R2": Counter(confirmation=1)}))

    assert result.lost == ("R2",)
    assert result.mailed == 1
    assert not result.passed


def test_a_report_missing_from_the_database_is_lost_even_if_it_was_delivered() -> None:
    result = tally("restart ferretdb", observed(stored={"R1"}))

    assert result.lost == ("R2",)


def test_a_work_item_sent_twice_is_a_duplicate() -> None:
    result = tally("kill -9 kafka", observed(work_items=Counter({"R1": 2, "R2": 1})))

    assert result.duplicated == ("R1",)
    assert not result.lost
    assert not result.passed


def test_two_confirmation_mails_to_one_reporter_are_a_duplicate() -> None:
    twice = Counter({"confirmation": 2, "routed": 1})

    result = tally("kill -9 notify", observed(mails={"R1": BOTH_MAILS, "R2": twice}))

    assert result.duplicated == ("R2",)


def test_refused_submissions_are_counted_but_are_not_losses() -> None:
    result = tally("sigterm reports", observed(refused=5))

    assert result.refused == 5
    assert result.passed


def test_mails_are_told_apart_by_their_subject_and_report() -> None:
    assert mail_kind("We have received your report R1", "R1") == "confirmation"
    assert mail_kind("Your report R1 has reached the responsible department", "R1") == "routed"
    assert mail_kind("We have received your report R2", "R1") is None
