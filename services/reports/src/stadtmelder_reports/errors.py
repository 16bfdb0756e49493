"""The reports service's error tree; `http_errors` maps each to an HTTP answer."""

from collections.abc import Mapping
from dataclasses import dataclass


class ReportsError(Exception):
    """Base of every error the reports service reports to its callers."""


@dataclass(frozen=True)
class FieldProblem:
    field: str
    reason: str


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
            "Too many reports from this client in a short time. "
            f"Please wait {retry_after_seconds} seconds and try again."
        )
