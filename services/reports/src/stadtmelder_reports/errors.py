"""The reports service's error tree; `http.errors` maps each to an HTTP answer."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Self

from litestar.exceptions import HTTPException

from stadtmelder_shared.translations import N_


class ReportsError(Exception):
    """Base of every error the reports service reports to its callers."""

    made_of: tuple[Any, ...] = ()

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        error = super().__new__(cls, *args, **kwargs)
        # What it was made of: the owner of a report sends it back to the replica that asked
        # (commands.refusals), which raises it again to answer as if it had refused itself.
        error.made_of = args
        return error


@dataclass(frozen=True)
class FieldProblem:
    """A field that is wrong: `reason` is the API's sentence, `key` (where a page shows the
    problem) the catalogue key of the page's sentence."""

    field: str
    reason: str
    key: str = ""


class InvalidReport(ReportsError):
    def __init__(self, problems: list[FieldProblem]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{p.field}: {p.reason}" for p in problems))


class ReportStopped(ReportsError):
    """An answer means this must not wait in a queue: the citizen gets advice instead."""

    def __init__(self, question: str, advice: Mapping[str, str]) -> None:
        self.question = question
        self.advice = advice
        super().__init__(advice.get("en") or next(iter(advice.values()), ""))


class ReportNotFound(ReportsError):
    def __init__(self, report_id: str) -> None:
        self.report_id = report_id
        super().__init__(f"There is no report with the id {report_id!r}.")


class PhotoNotFound(ReportsError):
    def __init__(self, report_id: str, number: int) -> None:
        super().__init__(f"Report {report_id!r} has no photo number {number}.")


class TrackingTokenUnknown(ReportsError):
    def __init__(self) -> None:
        super().__init__("This tracking link is not valid. Please check it was copied completely.")


class ReportClosed(ReportsError):
    def __init__(self, report_id: str) -> None:
        super().__init__(
            f"Report {report_id} is already closed. "
            "If the problem is back, please file a new report."
        )


class InvalidQuery(ReportsError):
    def __init__(self, parameter: str, reason: str) -> None:
        self.problems = [FieldProblem(parameter, reason)]
        super().__init__(f"{parameter}: {reason}")


class TooManySubmissions(ReportsError):
    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(
            "Too many requests from this client in a short time. "
            f"Please wait {retry_after_seconds} seconds and try again."
        )


# --- staff work ---------------------------------------------------------------------------------


class NotAuthenticated(ReportsError):
    """No bearer token, or one we cannot verify: the caller must sign in (401). `reason` is
    the API's sentence, `key` the catalogue's for a page (given positionally, so that a
    refusal carried back from a report's owner keeps it)."""

    def __init__(self, reason: str, key: str = N_("not_authenticated_token")) -> None:
        super().__init__(reason)
        self.key = key


class SignInUnavailable(ReportsError):
    """The identity provider's keys cannot be fetched, so no token can be checked (503)."""

    def __init__(self) -> None:
        super().__init__(
            "Staff sign-in cannot be checked at the moment. Please try again in a minute."
        )


class NotAllowed(ReportsError):
    """The caller is known but their roles or department do not permit this (403). `reason`
    is the API's sentence, `key` the catalogue's for a page (positional, as above)."""

    def __init__(self, reason: str, key: str = N_("not_allowed")) -> None:
        super().__init__(reason)
        self.key = key


class UnknownDepartment(ReportsError):
    def __init__(self, department_id: str) -> None:
        self.department_id = department_id
        super().__init__(f"There is no department with the id {department_id!r}.")


class InvalidTransition(ReportsError):
    """The report's status does not lead to the requested one (409)."""

    def __init__(self, report_id: str, current: str, requested: str, allowed: list[str]) -> None:
        self.current = current
        self.requested = requested
        self.allowed = allowed
        if allowed:
            next_steps = f"it can only go to: {', '.join(allowed)}"
        elif current == "submitted":
            next_steps = "it must be routed to a department first"
        else:
            next_steps = "its work is finished, so it cannot change any more"
        super().__init__(
            f"Report {report_id} is {current!r} and cannot become {requested!r}; {next_steps}."
        )


class InvalidWorkRequest(ReportsError):
    """A transition, comment or assignment that lacks or misstates something it needs (400)."""

    def __init__(self, field: str, reason: str) -> None:
        self.problems = [FieldProblem(field, reason)]
        super().__init__(f"{field}: {reason}")


class ReportAlreadyClaimed(ReportsError):
    """Someone else has taken the report on; a dispatcher or colleague can reassign it (409)."""

    def __init__(self, report_id: str, assignee: str) -> None:
        self.assignee = assignee
        super().__init__(
            f"Report {report_id} is already claimed by {assignee!r}; "
            "ask them, or have it assigned to you."
        )


class ReportChangedMeanwhile(ReportsError):
    """Someone else kept changing the report while we tried to write it (409, try again)."""

    def __init__(self, report_id: str) -> None:
        super().__init__(
            f"Report {report_id} was changed by someone else at the same moment. "
            "Please reload it and try again."
        )


class WriteStillPending(ReportsError):
    """A write sent to the report's owner was not applied within the wait: it still will be,
    once (202 with a link to follow)."""

    def __init__(self, report_id: str) -> None:
        self.report_id = report_id
        super().__init__(
            f"Your change to report {report_id} was received and will show there in a moment."
        )


class WritesUnavailable(ReportsError):
    """The write could not be handed to the report's owner (Kafka away): nothing was done."""

    def __init__(self) -> None:
        super().__init__("Changes cannot be made at the moment. Please try again in a minute.")


# --- requests refused while their body arrives ----------------------------------------------------
# These are HTTPExceptions so that every layer's handler map (Open311's too) answers them with
# their own status; `http.errors` gives them the JSON API's codes.


class RequestRefused(HTTPException):
    """A request body refused before it was parsed; `code` names why in the error body."""

    code = "request_refused"

    def __init__(self, detail: str) -> None:
        super().__init__(detail=detail)


class RequestTooLarge(RequestRefused):
    status_code = 413
    code = "request_too_large"


class RequestTooComplex(RequestRefused):
    """Too many form fields or parts, or JSON nested too deep: parsing it would be the attack."""

    status_code = 400
    code = "request_too_complex"


class ClientDisconnected(RequestRefused):
    """The client went away before its body was complete. 499, nginx's "client closed request",
    keeps it out of the 5xx series: no answer reaches anyone, and nothing on our side failed."""

    status_code = 499
    code = "client_disconnected"
