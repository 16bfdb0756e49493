"""The status state machine, as a table: every allowed step and a set of forbidden ones."""

from typing import get_args

import pytest

from stadtmelder_reports.errors import InvalidTransition, InvalidWorkRequest
from stadtmelder_reports.staff.schemas import TargetStatus
from stadtmelder_reports.staff.workflow import (
    NEXT_STATUSES,
    TARGET_STATUSES,
    TransitionRequest,
    next_status,
)

HERE = "wbd-strasse"
DETAILS = {
    "rejected": {"reason": "Privatgrundstück, nicht zuständig"},
    "duplicate": {"duplicate_of": "AAAAA-00000"},
    "forwarded": {"forward_to": "wbd-gruen", "reason": "Grünfläche, nicht Straße"},
}
ALLOWED = [
    ("triage", "forwarded", "routed"),
    ("routed", "acknowledged", "acknowledged"),
    ("routed", "rejected", "rejected"),
    ("routed", "duplicate", "duplicate"),
    ("routed", "forwarded", "routed"),
    ("acknowledged", "in_progress", "in_progress"),
    ("acknowledged", "rejected", "rejected"),
    ("acknowledged", "duplicate", "duplicate"),
    ("acknowledged", "forwarded", "routed"),
    ("in_progress", "resolved", "resolved"),
    ("in_progress", "rejected", "rejected"),
    ("in_progress", "duplicate", "duplicate"),
    ("in_progress", "forwarded", "routed"),
    ("resolved", "reopened", "reopened"),
    ("reopened", "acknowledged", "acknowledged"),
    ("reopened", "in_progress", "in_progress"),
    ("reopened", "resolved", "resolved"),
]
FORBIDDEN = [
    ("submitted", "acknowledged"),
    ("submitted", "forwarded"),
    ("triage", "acknowledged"),
    ("triage", "resolved"),
    ("routed", "resolved"),
    ("routed", "in_progress"),
    ("routed", "reopened"),
    ("acknowledged", "acknowledged"),
    ("acknowledged", "resolved"),
    ("in_progress", "acknowledged"),
    ("resolved", "in_progress"),
    ("resolved", "rejected"),
    ("resolved", "forwarded"),
    ("rejected", "reopened"),
    ("rejected", "acknowledged"),
    ("duplicate", "reopened"),
    ("duplicate", "in_progress"),
    ("reopened", "reopened"),
]


def a_request(to: str) -> TransitionRequest:
    return TransitionRequest(to=to, **DETAILS.get(to, {}))


@pytest.mark.parametrize(("current", "to", "becomes"), ALLOWED)
def test_allowed_step_gives_the_new_status(current: str, to: str, becomes: str) -> None:
    assert next_status("R1", current, a_request(to), HERE) == becomes


def test_the_table_lists_exactly_the_allowed_steps() -> None:
    listed = {(current, to) for current, targets in NEXT_STATUSES.items() for to in targets}
    assert listed == {(current, to) for current, to, _ in ALLOWED}


@pytest.mark.parametrize(("current", "to"), FORBIDDEN)
def test_forbidden_step_is_refused_naming_the_allowed_next_steps(current: str, to: str) -> None:
    with pytest.raises(InvalidTransition) as refused:
        next_status("R1", current, a_request(to), HERE)

    message = str(refused.value)
    assert f"is {current!r} and cannot become {to!r}" in message
    for allowed in NEXT_STATUSES.get(current, ()):
        assert allowed in message
    assert refused.value.allowed == list(NEXT_STATUSES.get(current, ()))


def test_a_finished_report_says_it_cannot_change_any_more() -> None:
    with pytest.raises(InvalidTransition, match="finished"):
        next_status("R1", "rejected", a_request("acknowledged"), HERE)


def test_an_unrouted_report_says_it_must_be_routed_first() -> None:
    with pytest.raises(InvalidTransition, match="routed to a department first"):
        next_status("R1", "submitted", a_request("acknowledged"), HERE)


@pytest.mark.parametrize(
    ("request_", "field"),
    [
        (TransitionRequest(to="rejected"), "reason"),
        (TransitionRequest(to="rejected", reason="   "), "reason"),
        (TransitionRequest(to="duplicate"), "duplicate_of"),
        (TransitionRequest(to="duplicate", duplicate_of="R1"), "duplicate_of"),
        (TransitionRequest(to="forwarded", reason="Grünfläche"), "forward_to"),
        (TransitionRequest(to="forwarded", forward_to="wbd-gruen"), "reason"),
        (TransitionRequest(to="forwarded", forward_to=HERE, reason="x"), "forward_to"),
        (TransitionRequest(to="acknowledged", forward_to="wbd-gruen"), "forward_to"),
        (TransitionRequest(to="acknowledged", duplicate_of="R2"), "duplicate_of"),
    ],
)
def test_a_step_missing_what_it_needs_names_the_field(
    request_: TransitionRequest, field: str
) -> None:
    with pytest.raises(InvalidWorkRequest) as refused:
        next_status("R1", "routed", request_, HERE)
    assert [p.field for p in refused.value.problems] == [field]


def test_the_api_offers_exactly_the_statuses_a_request_may_ask_for() -> None:
    assert set(get_args(TargetStatus)) == set(TARGET_STATUSES)
    reachable = {to for targets in NEXT_STATUSES.values() for to in targets}
    assert reachable == set(TARGET_STATUSES)
