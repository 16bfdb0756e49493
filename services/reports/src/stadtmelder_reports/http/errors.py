"""The one place where errors become HTTP responses: a status, a code, a sentence, the fields."""

import logging
import secrets
import traceback
from typing import Any

from litestar import MediaType, Response
from litestar.exceptions import HTTPException, ValidationException
from litestar.status_codes import (
    HTTP_202_ACCEPTED,
    HTTP_400_BAD_REQUEST,
    HTTP_401_UNAUTHORIZED,
    HTTP_403_FORBIDDEN,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
    HTTP_422_UNPROCESSABLE_ENTITY,
    HTTP_429_TOO_MANY_REQUESTS,
    HTTP_500_INTERNAL_SERVER_ERROR,
    HTTP_503_SERVICE_UNAVAILABLE,
)
from litestar.types import ExceptionHandlersMap
from pydantic import ValidationError
from pymongo.errors import ConnectionFailure, OperationFailure, PyMongoError

from stadtmelder_reports.core.categories import localized
from stadtmelder_reports.errors import (
    InvalidQuery,
    InvalidReport,
    InvalidTransition,
    InvalidWorkRequest,
    NotAllowed,
    NotAuthenticated,
    PhotoNotFound,
    ReportAlreadyClaimed,
    ReportChangedMeanwhile,
    ReportClosed,
    ReportNotFound,
    ReportStopped,
    RequestRefused,
    SignInUnavailable,
    TooManySubmissions,
    TrackingTokenUnknown,
    UnknownDepartment,
    WriteStillPending,
    WritesUnavailable,
)
from stadtmelder_reports.http.requests import AnyRequest

log = logging.getLogger(__name__)
Body = dict[str, Any]
# Problems named in one error answer; the rest are counted in `more_errors`.
MAX_LISTED_PROBLEMS = 20


def error_response(
    status: int, code: str, detail: str, errors: list[Body] | None = None, **extra: Any
) -> Response[Body]:
    body: Body = {"status_code": status, "code": code, "detail": detail, **extra}
    if errors is not None:
        body["errors"] = errors
    return Response(body, status_code=status, media_type=MediaType.JSON)


def _field_errors(errors: list[Body], code: str, lead: str) -> Response[Body]:
    """The first problems and a count of the rest: a request must not make its answer large."""
    listed, more = errors[:MAX_LISTED_PROBLEMS], len(errors) - MAX_LISTED_PROBLEMS
    summary = "; ".join(f"{e['field']}: {e['reason']}" for e in listed)
    if more > 0:
        summary += f"; and {more} more problems of the same request"
        return error_response(
            HTTP_400_BAD_REQUEST, code, f"{lead}: {summary}", listed, more_errors=more
        )
    return error_response(HTTP_400_BAD_REQUEST, code, f"{lead}: {summary}", listed)


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


def on_not_authenticated(request: AnyRequest, exc: NotAuthenticated) -> Response[Body]:
    response = error_response(HTTP_401_UNAUTHORIZED, "not_authenticated", str(exc))
    # RFC 6750: name the error only when a token was sent and failed.
    challenge = 'Bearer realm="stadtmelder-staff"'
    if request.headers.get("authorization"):
        challenge += ', error="invalid_token"'
    response.headers["WWW-Authenticate"] = challenge
    return response


def on_not_allowed(_: AnyRequest, exc: NotAllowed) -> Response[Body]:
    return error_response(HTTP_403_FORBIDDEN, "forbidden", str(exc))


def on_invalid_transition(_: AnyRequest, exc: InvalidTransition) -> Response[Body]:
    return error_response(
        HTTP_409_CONFLICT,
        "invalid_transition",
        str(exc),
        current_status=exc.current,
        allowed=exc.allowed,
    )


def on_invalid_work_request(_: AnyRequest, exc: InvalidWorkRequest) -> Response[Body]:
    errors = [{"field": p.field, "reason": p.reason} for p in exc.problems]
    return _field_errors(errors, "invalid_request", "The request was not accepted")


def on_already_claimed(_: AnyRequest, exc: ReportAlreadyClaimed) -> Response[Body]:
    return error_response(HTTP_409_CONFLICT, "already_claimed", str(exc), assignee=exc.assignee)


def on_changed_meanwhile(_: AnyRequest, exc: ReportChangedMeanwhile) -> Response[Body]:
    return error_response(HTTP_409_CONFLICT, "changed_meanwhile", str(exc))


def on_storage_busy(request: AnyRequest, exc: OperationFailure) -> Response[Body]:
    """FerretDB on SQLite refuses a write with SQLITE_BUSY when writers crowd it (two replicas
    on a loaded machine, docs/scale-out.md): that write stored nothing, so the answer is the
    one for a database that is away. Any other refused command is a bug."""
    if "database is locked" in str(exc):
        return on_storage_unavailable(request, exc)
    return on_unexpected(request, exc)


def on_write_pending(request: AnyRequest, exc: WriteStillPending) -> Response[Body]:
    """Sent to the report's owner, not applied yet (see `commands`): it will be, once, so the
    answer is 202 and where to see it, the report's page the request was made on."""
    path = request.url.path
    at = path.find(exc.report_id)
    follow = path[: at + len(exc.report_id)] if at >= 0 else path.rsplit("/", 1)[0] or "/"
    response = error_response(HTTP_202_ACCEPTED, "accepted", str(exc), follow=follow)
    response.headers["Location"] = follow
    return response


def on_writes_unavailable(_: AnyRequest, exc: WritesUnavailable) -> Response[Body]:
    response = error_response(HTTP_503_SERVICE_UNAVAILABLE, "writes_unavailable", str(exc))
    response.headers["Retry-After"] = "30"
    return response


def on_sign_in_unavailable(_: AnyRequest, exc: SignInUnavailable) -> Response[Body]:
    response = error_response(HTTP_503_SERVICE_UNAVAILABLE, "sign_in_unavailable", str(exc))
    response.headers["Retry-After"] = "30"
    return response


STORAGE_UNAVAILABLE = (
    "The service cannot reach its database at the moment and has stored nothing from this "
    "request. Please try again in a minute."
)


def on_storage_unavailable(_: AnyRequest, exc: PyMongoError) -> Response[Body]:
    """The database is away (a restart, a failover): nothing was stored, so say to try again."""
    response = error_response(
        HTTP_503_SERVICE_UNAVAILABLE, "storage_unavailable", STORAGE_UNAVAILABLE
    )
    response.headers["Retry-After"] = "30"
    return response


def log_unexpected(request: AnyRequest, exc: Exception) -> str:
    """For the operator: the exception's type, the route and where it was raised, under a
    reference the person who met it can quote. Not the path, which may hold a tracking token,
    nor the message, which may quote what a person sent (a database error quotes the document)."""
    reference = secrets.token_hex(4).upper()
    route = request.scope.get("path_template", "an unknown route")
    raised_at = "".join(traceback.format_tb(exc.__traceback__))
    log.error(
        "unexpected %s on %s %s (reference %s); raised at:\n%s",
        type(exc).__name__,
        request.method,
        route,
        reference,
        raised_at,
    )
    return reference


def on_unexpected(request: AnyRequest, exc: Exception) -> Response[Body]:
    """A bug or a failure we did not foresee: logged, and answered with a body like every
    other error, with the log's reference and never a stack trace."""
    reference = log_unexpected(request, exc)
    return error_response(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Something went wrong on our side. Please try again later; if it keeps happening, tell "
        f"us the reference {reference}.",
        reference=reference,
    )


def on_request_refused(_: AnyRequest, exc: RequestRefused) -> Response[Body]:
    """A body refused while it arrived; a client that went away (499) gets no answer anyway and
    is not logged: nothing failed on our side."""
    return error_response(exc.status_code, exc.code, exc.detail)


def on_http_error(request: AnyRequest, exc: HTTPException) -> Response[Body]:
    if exc.status_code == HTTP_500_INTERNAL_SERVER_ERROR:
        # Litestar's own (a dependency that failed its check): a bug to log like any other.
        return on_unexpected(request, exc)
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
    NotAuthenticated: on_not_authenticated,
    NotAllowed: on_not_allowed,
    UnknownDepartment: _not_found("department_not_found"),
    InvalidTransition: on_invalid_transition,
    InvalidWorkRequest: on_invalid_work_request,
    ReportAlreadyClaimed: on_already_claimed,
    ReportChangedMeanwhile: on_changed_meanwhile,
    SignInUnavailable: on_sign_in_unavailable,
    WriteStillPending: on_write_pending,
    WritesUnavailable: on_writes_unavailable,
    RequestRefused: on_request_refused,
    ConnectionFailure: on_storage_unavailable,
    OperationFailure: on_storage_busy,
    HTTPException: on_http_error,
    Exception: on_unexpected,
}
