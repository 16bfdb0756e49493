"""A browser whose request fails gets the site's page saying what happened and what to do, in
its language; apps and API clients keep the JSON error answer of `http.errors`."""

import math
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from litestar import MediaType, Response
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.city_clock import CITY_TIME
from stadtmelder_reports.http.errors import EXCEPTION_HANDLERS
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.web.rendering import page
from stadtmelder_shared.clock import utc_now
from stadtmelder_shared.translations import N_

# Paths whose callers are programs, whatever their Accept header says.
API_PATHS = ("/api/", "/open311/", "/schema", "/health/", "/metrics")
# ... except the links in citizens' mails, which a person opens in a browser.
MAIL_LINK_PATHS = (
    "/api/v1/notifications/",
    "/api/v1/feedback/",
    "/api/v1/erasure/",
    "/api/v1/alerts/confirm/",
    "/api/v1/alerts/cancel/",
)
# Headers of the JSON answer a page keeps: when to come back, what the address allows.
KEPT_HEADERS = ("retry-after", "allow", "location")
# The page's title and text for each status; others share the page of their class.
PAGES = {
    202: (N_("accepted_title"), N_("accepted")),
    400: (N_("error_400_title"), N_("error_400")),
    401: (N_("error_401_title"), N_("error_401")),
    403: (N_("error_403_title"), N_("error_403")),
    404: (N_("not_found_title"), N_("not_found")),
    405: (N_("error_405_title"), N_("error_405")),
    409: (N_("error_409_title"), N_("error_409")),
    413: (N_("error_413_title"), N_("error_413")),
    429: (N_("error_429_title"), N_("error_429")),
    500: (N_("error_500_title"), N_("error_500")),
    503: (N_("error_503_title"), N_("error_503")),
}

Handler = Callable[[AnyRequest, Any], Response[Any]]


def wants_page(request: AnyRequest) -> bool:
    """A browser: it prefers HTML to JSON (an app sends `application/json` or `*/*`)."""
    path = request.url.path
    if path.startswith(API_PATHS) and not path.startswith(MAIL_LINK_PATHS):
        return False
    preferred = request.accept.best_match([MediaType.JSON, MediaType.HTML])
    return preferred == MediaType.HTML and "text/html" in request.headers.get("accept", "")


def come_back_at(seconds: int) -> str:
    """The city's clock time, to the minute and rounded up, after which trying again helps."""
    later = utc_now() + timedelta(seconds=seconds)
    later += timedelta(seconds=(60 - later.second) % 60, microseconds=-later.microsecond)
    return later.astimezone(CITY_TIME).strftime("%H:%M")


def error_page(request: AnyRequest, answer: Response[Any]) -> Response[Any]:
    """The page for the status the JSON `answer` has: the same status and the headers that
    tell a browser when to come back, plus the log's reference of an unexpected failure."""
    status = answer.status_code or 500
    title, text = PAGES.get(status, PAGES[500 if status >= 500 else 400])
    body = answer.content if isinstance(answer.content, dict) else {}
    kept = {name.lower(): value for name, value in answer.headers.items()}
    retry_after = kept.get("retry-after", "")
    seconds = int(retry_after) if retry_after.isdigit() else None
    shown = page(
        request,
        "error.html.j2",
        status_code=status,
        private=True,
        title_key=title,
        text_key=text,
        retry_at=come_back_at(seconds) if seconds is not None else None,
        minutes=math.ceil(seconds / 60) if seconds is not None else 0,
        reference=body.get("reference"),
        follow=body.get("follow"),
    )
    for name in KEPT_HEADERS:
        if name in kept:
            shown.headers[name] = kept[name]
    return shown


def for_browsers(handler: Handler) -> Handler:
    """`handler`'s answer for programs; for a browser, the page of its status."""

    def answer(request: AnyRequest, exc: Any) -> Response[Any]:
        response = handler(request, exc)
        return error_page(request, response) if wants_page(request) else response

    return answer


# The app's handlers: every error the JSON API maps, answered to browsers with a page.
PAGE_EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    kind: for_browsers(handler) for kind, handler in EXCEPTION_HANDLERS.items()
}
