"""The one place where errors become HTTP responses: a status, a code, a sentence, the fields."""

from typing import Any

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
)
from litestar.types import ExceptionHandlersMap
from pydantic import ValidationError

from stadtmelder_reports.categories import localized
from stadtmelder_reports.errors import (
    InvalidQuery,
    InvalidReport,
    PhotoNotFound,
    ReportClosed,
    ReportNotFound,
    ReportStopped,
    TooManySubmissions,
    TrackingTokenUnknown,
)

Body = dict[str, Any]
AnyRequest = Request[Any, Any, Any]


def error_response(
    status: int, code: str, detail: str, errors: list[Body] | None = None, **extra: Any
) -> Response[Body]:
    body: Body = {"status_code": status, "code": code, "detail": detail, **extra}
    if errors is not None:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=MediaType.JSON)


def _field_errors(errors: list[Body], code: str, lead: str) -> Response[Body]:
    summary = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return error_response(HTTP_400_BAD_REQUEST, code, f"{lead}: {summary}", errors)


def on_validation_failed(_: AnyRequest, exc: ValidationException) -> Response[Body]:
    problems = exc.extra if isinstance(exc.extra, list) else []
    errors = [
        {"field": problem.get("key") or "body", "reason": problem.get("message", "invalid")}
        for problem in problems
        if isinstance(problem, dict)
    ]
    if not errors:
        errors = [{"field": "body", "reason": exc.detail}]
    return _field_errors(errors, "invalid_request", "The request was not accepted")


def on_pydantic_error(_: AnyRequest, exc: ValidationError) -> Response[Body]:
    errors = [
        {"field": ".".join(str(part) for part in e["loc"]) or "body", "reason": e["msg"]}
        for e in exc.errors()
    ]
    return _field_errors(errors, "invalid_request", "The request was not accepted")


def on_invalid_report(_: AnyRequest, exc: InvalidReport) -> Response[Body]:
    errors = [{"field": p.field, "reason": p.reason} for p in exc.problems]
    return _field_errors(errors, "invalid_report", "The report was not accepted")


def on_invalid_query(_: AnyRequest, exc: InvalidQuery) -> Response[Body]:
    errors = [{"field": p.field, "reason": p.reason} for p in exc.problems]
    return _field_errors(errors, "invalid_query", "The query was not understood")


def on_report_stopped(request: AnyRequest, exc: ReportStopped) -> Response[Body]:
    language = request.query_params.get("lang") or "de"
    return error_response(
        HTTP_422_UNPROCESSABLE_ENTITY,
        "report_stopped",
        localized(exc.advice, "en"),
        question=exc.question,
        advice=dict(exc.advice),
        advice_text=localized(exc.advice, language),
    )


def _not_found(code: str) -> Any:
    def handler(_: AnyRequest, exc: Exception) -> Response[Body]:
        return error_response(HTTP_404_NOT_FOUND, code, str(exc))

    return handler


def on_report_closed(_: AnyRequest, exc: ReportClosed) -> Response[Body]:
    return error_response(HTTP_409_CONFLICT, "report_closed", str(exc))


def on_too_many_submissions(_: AnyRequest, exc: TooManySubmissions) -> Response[Body]:
    response = error_response(
        HTTP_429_TOO_MANY_REQUESTS,
        "too_many_requests",
        str(exc),
        retry_after_seconds=exc.retry_after_seconds,
    )
    response.headers["Retry-After"] = str(exc.retry_after_seconds)
    return response


def on_http_error(_: AnyRequest, exc: HTTPException) -> Response[Body]:
    code = {
        404: "not_found",
        405: "method_not_allowed",
        413: "request_too_large",
        415: "unsupported_media_type",
        429: "too_many_requests",
    }.get(exc.status_code, "http_error")
    response = error_response(exc.status_code, code, exc.detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    ValidationException: on_validation_failed,
    ValidationError: on_pydantic_error,
    InvalidReport: on_invalid_report,
    InvalidQuery: on_invalid_query,
    ReportStopped: on_report_stopped,
    ReportNotFound: _not_found("report_not_found"),
    PhotoNotFound: _not_found("photo_not_found"),
    TrackingTokenUnknown: _not_found("tracking_token_unknown"),
    ReportClosed: on_report_closed,
    TooManySubmissions: on_too_many_submissions,
    HTTPException: on_http_error,
}
