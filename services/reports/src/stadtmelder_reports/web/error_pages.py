"""A browser that asks for a page that is not there gets the site's page saying so, in its
language; apps and API clients keep the JSON error answer."""

from typing import Any

from litestar import MediaType, Response
from litestar.exceptions import HTTPException
from litestar.status_codes import HTTP_404_NOT_FOUND

from stadtmelder_reports.http.errors import on_http_error
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.web.rendering import page

# Paths whose callers are programs, whatever their Accept header says.
API_PATHS = ("/api/", "/open311/", "/schema", "/health/", "/metrics")


def wants_page(request: AnyRequest) -> bool:
    """A browser: it prefers HTML to JSON (an app sends `application/json` or `*/*`)."""
    if request.url.path.startswith(API_PATHS):
        return False
    preferred = request.accept.best_match([MediaType.JSON, MediaType.HTML])
    return preferred == MediaType.HTML and "text/html" in request.headers.get("accept", "")


def on_http_error_page(request: AnyRequest, exc: HTTPException) -> Response[Any]:
    if exc.status_code == HTTP_404_NOT_FOUND and wants_page(request):
        return page(request, "not_found.html.j2", status_code=HTTP_404_NOT_FOUND, private=True)
    return on_http_error(request, exc)
