"""The fleet's emptying plans as reports keeps them: a dispatcher's request, fleet's answer, and
which of them a page shows, as rules without I/O."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Literal

from stadtmelder_shared.emptying_plans import EmptyingPlan

# A plan takes fleet seconds; a request unanswered this long means fleet is away or behind.
ANSWER_WAIT = timedelta(minutes=2)
# How often the "being computed" page looks again, without script.
REFRESH_SECONDS = 2
PlanStatus = Literal["unasked", "computing", "late", "made", "refused"]


class FleetUnreachable(Exception):
    """A request for fleet could not be sent, or fleet has not answered it in time."""


@dataclass(frozen=True)
class PlanRequest:
    request_id: str
    district: str
    day: date
    requested_by: str
    requested_at: datetime


@dataclass(frozen=True)
class PlanAnswer:
    """Fleet's latest answer for a district and day: the plan, or a refusal with its reason."""

    request_id: str
    district: str
    day: date
    answered_at: datetime
    plan: EmptyingPlan | None = None
    code: str = ""
    reason: str = ""


@dataclass(frozen=True)
class PlanShown:
    """What the plan page shows: the status of the latest request, and the latest answer, whose
    plan stays valid until a newer one for the same district and day arrives."""

    status: PlanStatus
    answer: PlanAnswer | None

    @property
    def plan(self) -> EmptyingPlan | None:
        return None if self.answer is None else self.answer.plan


def plan_status(
    request: PlanRequest | None, answer: PlanAnswer | None, now: datetime
) -> PlanStatus:
    """Answered when the answer is to the latest request (or to one reports no longer knows);
    else computing, until fleet is late."""
    if answer is not None and (request is None or answer.request_id == request.request_id):
        return "made" if answer.plan is not None else "refused"
    if request is None:
        return "unasked"
    return "computing" if now - request.requested_at < ANSWER_WAIT else "late"
