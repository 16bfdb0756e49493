"""The one place where errors become HTTP responses: a status, a code, a sentence, the fields."""

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.domain import InvalidReport, ReportNotFound

Body = dict[str, Any]


def _error(status: int, code: str, detail: str, errors: list[Body] | None = None) -> Response[Body]:
    body: Body = {"status_code": status, "code": code, "detail": detail}
    if errors is not None:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=MediaType.JSON)


def on_validation_failed(_: Request[Any, Any, Any], exc: ValidationException) -> Response[Body]:
    problems = exc.extra if isinstance(exc.extra, list) else []
    errors = [
        {"field": problem.get("key") or "body", "reason": problem.get("message", "invalid")}
        for problem in problems
        if isinstance(problem, dict)
    ]
    if not errors:
        errors = [{"field": "body", "reason": exc.detail}]
    return _error(
        HTTP_400_BAD_REQUEST,
        "invalid_request",
        "The request was not accepted: "
        + "; ".join(f"{e['field']}: {e['reason']}" for e in errors),
        errors,
    )


def on_invalid_report(_: Request[Any, Any, Any], exc: InvalidReport) -> Response[Body]:
    errors = [{"field": p.field, "reason": p.reason} for p in exc.problems]
    return _error(
        HTTP_400_BAD_REQUEST, "invalid_report", f"The report was not accepted: {exc}", errors
    )


def on_report_not_found(_: Request[Any, Any, Any], exc: ReportNotFound) -> Response[Body]:
    return _error(HTTP_404_NOT_FOUND, "report_not_found", str(exc))


def on_http_error(_: Request[Any, Any, Any], exc: HTTPException) -> Response[Body]:
    code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
    return _error(exc.status_code, code, exc.detail)


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ValidationException: on_validation_failed,
    InvalidReport: on_invalid_report,
    ReportNotFound: on_report_not_found,
    HTTPException: on_http_error,
}
