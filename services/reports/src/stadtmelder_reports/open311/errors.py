"""Every failure under /open311/v2/ as the spec's `errors` list: a sentence saying what to fix."""

from collections.abc import Mapping

from litestar import Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_400_BAD_REQUEST,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure

from stadtmelder_reports.errors import (
    FieldProblem,
    InvalidQuery,
    InvalidReport,
    PhotoNotFound,
    ReportNotFound,
    ReportsError,
    ReportStopped,
    TooManySubmissions,
    TrackingTokenUnknown,
)
from stadtmelder_reports.http.errors import (
    EXCEPTION_HANDLERS,
    STORAGE_UNAVAILABLE,
    log_unexpected,
)
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.open311.responses import format_of, open311_response

# Our field names where Open311 has its own for the same thing.
_FIELD_NAMES: Mapping[str, str] = {
    "category": "service_code",
    "lon": "long",
    "address": "address_string",
    "contact": "email",
    "photos": "media",
}


class Open311Error(Exception):
    """An answer with an HTTP status and one or more sentences, one `error` each."""

    def __init__(self, status_code: int, *descriptions: str) -> None:
        self.status_code = status_code
        self.descriptions = descriptions
        super().__init__("; ".join(descriptions))


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error(HTTP_400_BAD_REQUEST, *descriptions)


def not_found(description: str) -> Open311Error:
    return Open311Error(HTTP_404_NOT_FOUND, description)


def forbidden(description: str) -> Open311Error:
    return Open311Error(HTTP_403_FORBIDDEN, description)


def open311_field(field: str) -> str:
    """`answers.size` → `attribute[size]`, `photos[2]` → `media`, `lon` → `long`, ..."""
    if field.startswith("answers."):
        return f"attribute[{field.removeprefix('answers.')}]"
    return _FIELD_NAMES.get(field.split("[", 1)[0], field)


def problem_sentences(problems: list[FieldProblem]) -> list[str]:
    return [f"{open311_field(problem.field)}: {problem.reason}" for problem in problems]


def errors_response(request: AnyRequest, status_code: int, *descriptions: str) -> Response[bytes]:
    content = [{"code": status_code, "description": text} for text in descriptions]
    return open311_response(content, format_of(request.url.path), "errors", status_code)


def on_open311_error(request: AnyRequest, exc: Open311Error) -> Response[bytes]:
    return errors_response(request, exc.status_code, *exc.descriptions)


def on_invalid(request: AnyRequest, exc: InvalidReport | InvalidQuery) -> Response[bytes]:
    return errors_response(request, HTTP_400_BAD_REQUEST, *problem_sentences(exc.problems))


def on_report_stopped(request: AnyRequest, exc: ReportStopped) -> Response[bytes]:
    return errors_response(request, HTTP_400_BAD_REQUEST, str(exc))


def on_not_found(request: AnyRequest, exc: Exception) -> Response[bytes]:
    return errors_response(request, HTTP_404_NOT_FOUND, str(exc))


def on_validation_failed(request: AnyRequest, exc: ValidationException) -> Response[bytes]:
    details = exc.extra if isinstance(exc.extra, list) else []
    sentences = [
        f"{detail.get('key') or 'request'}: {detail.get('message', 'invalid')}"
        for detail in details
        if isinstance(detail, dict)
    ]
    return errors_response(request, HTTP_400_BAD_REQUEST, *(sentences or [exc.detail]))


def on_pydantic_error(request: AnyRequest, exc: ValidationError) -> Response[bytes]:
    sentences = [
        f"{'.'.join(str(part) for part in error['loc']) or 'request'}: {error['msg']}"
        for error in exc.errors()
    ]
    return errors_response(request, HTTP_400_BAD_REQUEST, *sentences)


def on_too_many_submissions(request: AnyRequest, exc: TooManySubmissions) -> Response[bytes]:
    response = errors_response(request, HTTP_429_TOO_MANY_REQUESTS, str(exc))
    response.headers["Retry-After"] = str(exc.retry_after_seconds)
    return response


def on_http_error(request: AnyRequest, exc: HTTPException) -> Response[bytes]:
    response = errors_response(request, exc.status_code, exc.detail)
    if exc.headers:
        response.headers.update(exc.headers)
    return response


def on_storage_unavailable(request: AnyRequest, exc: ConnectionFailure) -> Response[bytes]:
    response = errors_response(request, HTTP_503_SERVICE_UNAVAILABLE, STORAGE_UNAVAILABLE)
    response.headers["Retry-After"] = "30"
    return response


def on_unexpected(request: AnyRequest, exc: Exception) -> Response[bytes]:
    log_unexpected(request, exc)
    return errors_response(
        request,
        HTTP_500_INTERNAL_SERVER_ERROR,
        "The request could not be processed because of an error on our side. "
        "Please try again later.",
    )


def on_other_error(request: AnyRequest, exc: Exception) -> Response[bytes]:
    """Errors the app maps that no Open311 resource should raise: still in Open311's shape."""
    if isinstance(exc, HTTPException):
        return on_http_error(request, exc)
    if isinstance(exc, ReportsError):
        return errors_response(request, HTTP_400_BAD_REQUEST, str(exc))
    return on_unexpected(request, exc)


def open311_exception_handlers() -> ExceptionHandlersMap:
    """Handlers for every error the app maps, so none of them answers in the JSON API's shape.

    Litestar merges the handler maps of all layers and picks by the exception's classes, so
    each type the app handles must be overridden here by name, not only a base class.
    """
    fallback: ExceptionHandlersMap = dict.fromkeys(EXCEPTION_HANDLERS, on_other_error)
    return {
        **fallback,
        HTTP_500_INTERNAL_SERVER_ERROR: on_unexpected,
        Open311Error: on_open311_error,
        InvalidReport: on_invalid,
        InvalidQuery: on_invalid,
        ReportStopped: on_report_stopped,
        ReportNotFound: on_not_found,
        PhotoNotFound: on_not_found,
        TrackingTokenUnknown: on_not_found,
        TooManySubmissions: on_too_many_submissions,
        ValidationException: on_validation_failed,
        ValidationError: on_pydantic_error,
        HTTPException: on_http_error,
        ConnectionFailure: on_storage_unavailable,
    }
