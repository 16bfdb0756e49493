"""The rules of the mail links: whose link it is, and the feedback after a report was resolved
(who may answer, once, and what the answer changes)."""

from dataclasses import dataclass
from datetime import datetime

from stadtmelder_reports.core.domain import Comment, Feedback, FeedbackOutcome, Report, StatusChange
from stadtmelder_reports.errors import ReportsError
from stadtmelder_shared.citizen_events import FeedbackReceived
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.event_values import Actor
from stadtmelder_shared.link_tokens import LinkHolder, LinkPurpose, link_holder


class LinkInvalid(ReportsError):
    """A feedback or preferences link that was not signed by us, or was cut short (404)."""

    def __init__(self) -> None:
        super().__init__("This link is not valid. Please check that it was copied completely.")


class BadAnswer(ReportsError):
    """A body we cannot read (400)."""


class LinkTokens:
    """Checks the links notify signed with the secret both services share."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def check(self, token: str, purpose: LinkPurpose) -> LinkHolder:
        holder = link_holder(self._secret, purpose, token)
        if holder is None:
            raise LinkInvalid()
        return holder


@dataclass(frozen=True)
class FeedbackAnswer:
    outcome: FeedbackOutcome
    rating: int | None = None
    comment: str | None = None


@dataclass(frozen=True)
class FeedbackStep:
    """An answer with what it adds and announces, stored in one write."""

    feedback: Feedback
    note: Comment | None
    event: FeedbackReceived


class FeedbackNotAsked(ReportsError):
    """The report is not resolved (any more): there is no question to answer (409)."""

    def __init__(self, report_id: str, status: str) -> None:
        super().__init__(
            f"Report {report_id} is {status!r}, not resolved, so there is nothing to answer "
            "at the moment. You will be asked again when it is resolved."
        )


class FeedbackAlreadyGiven(ReportsError):
    """This recipient answered about this resolution before, differently (409)."""

    def __init__(self, report_id: str, given: Feedback) -> None:
        self.given = given
        super().__init__(
            f"You already answered {given.outcome!r} about report {report_id}. Thank you! "
            "If something changed, please file a new report."
        )


def latest_resolution(report: Report) -> StatusChange | None:
    return next((c for c in reversed(report.history) if c.status == "resolved"), None)


def given_feedback(report: Report, recipient: str) -> Feedback | None:
    """What `recipient` (a recipient key) answered about the report's latest resolution."""
    resolution = latest_resolution(report)
    if resolution is None:
        return None
    wanted = _feedback_id(report.id, recipient, resolution)
    return next((f for f in report.feedback if f.id == wanted), None)


def answer_feedback(
    report: Report, recipient: str, answer: FeedbackAnswer, now: datetime
) -> FeedbackStep:
    """One answer per recipient and resolution, while the report is resolved."""
    resolution = latest_resolution(report)
    if report.status != "resolved" or resolution is None:
        raise FeedbackNotAsked(report.id, report.status)
    feedback_id = _feedback_id(report.id, recipient, resolution)
    comment = (answer.comment or "").strip() or None
    # "Not fixed" reopens the report, and the reopening keeps the comment as its note.
    note = (
        Comment(
            derived_event_id(feedback_id, "feedback-note"),
            "internal",
            comment,
            now,
            Actor(role="citizen"),
        )
        if comment and answer.outcome != "not_fixed"
        else None
    )
    event = FeedbackReceived(
        event_id=feedback_id,
        occurred_at=now,
        report_id=report.id,
        jurisdiction=report.jurisdiction,
        outcome=answer.outcome,
        comment=comment,
        rating=answer.rating,
    )
    return FeedbackStep(Feedback(feedback_id, answer.outcome, answer.rating, now), note, event)


def _feedback_id(report_id: str, recipient: str, resolution: StatusChange) -> str:
    return derived_event_id(f"{report_id}|{recipient}|{resolution.event_id}", "feedback")
