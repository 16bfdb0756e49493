"""The report form's page: shown again with what was typed and each problem beside its
field, the advice to call instead, and the form once more when its body was refused unread."""

from typing import Any

from litestar import Response
from litestar.exceptions import HTTPException
from litestar.response import Template

from stadtmelder_reports.core.categories import Category, answer_lines, localized
from stadtmelder_reports.core.domain import DESCRIPTION_MAX_LENGTH, MAX_PHOTOS
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import FieldProblem, ReportStopped
from stadtmelder_reports.http.errors import EXCEPTION_HANDLERS, on_http_error
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.http.schemas import NearbyReportOut, category_out
from stadtmelder_reports.photos.cleaning import MAX_PHOTO_BYTES
from stadtmelder_reports.web.forms import ReportFormValues, explain, number_text
from stadtmelder_reports.web.geocoding import SearchResult
from stadtmelder_reports.web.photo_refusals import megabytes
from stadtmelder_reports.web.rendering import choose_language, page
from stadtmelder_reports.web.texts import Words


def form_page(
    request: AnyRequest,
    category: Category,
    max_photo_bytes: int,
    values: ReportFormValues | None = None,
    problems: list[FieldProblem] | None = None,
    *,
    photo_errors: list[str] | None = None,
    photos_again: bool = False,
    duplicates: list[NearbyReportOut] | None = None,
    status_code: int = 200,
    address_search: bool = False,
    search: SearchResult | None = None,
) -> Template:
    """The form, again with what was typed and each problem beside its field; `photos_again`
    when the citizen had chosen photos, which no browser keeps when the page comes back."""
    language = choose_language(request)
    t = Words(language)
    # A form that comes back holds what the citizen typed: like the tracking page, not cached.
    private = values is not None
    values = values or ReportFormValues()
    errors = explain(problems or [], category, t, values)
    errors += [{"field": "photos", "text": text} for text in photo_errors or []]
    return page(
        request,
        "report_form.html.j2",
        status_code=status_code,
        private=private,
        category=category_out(category, language),
        values=values,
        # What will be public, as the citizen chose it: labels, never the answers' codes.
        preview_answers=answer_lines(category, values.answers, language),
        stop_advice={
            q.code: localized(q.stop.advice, language) for q in category.questions if q.stop
        },
        description_most=DESCRIPTION_MAX_LENGTH,
        description_most_text=number_text(DESCRIPTION_MAX_LENGTH, t),
        errors=errors,
        duplicates=duplicates or [],
        photos_again=photos_again,
        address_search=address_search,
        search=search,
        search_message=search_message(search, t),
        max_photos=MAX_PHOTOS,
        max_photo_bytes=max_photo_bytes,
        photo_limit=megabytes(max_photo_bytes, t, round_up=False),
    )


def search_message(search: SearchResult | None, t: Words) -> str | None:
    """The sentence that goes with a search's places, or explains why there are none."""
    if search is None:
        return None
    if search.failed:
        return t("search_failed")
    if not search.places:
        return t("search_none")
    return t.plural("search_found", len(search.places))


def on_too_large(request: AnyRequest, error: HTTPException) -> Response[Any]:
    """A form body over the app's limit is refused before it is read, so nothing typed can
    come back; the form's page says why, in the page's language, instead of the API's JSON.
    The form names its category in its address for this."""
    service: ReportService = request.app.state.service
    category = service.jurisdiction.category(request.query_params.get("category") or "")
    if request.method != "POST" or category is None:
        return _as_the_api_answers(request, error)
    max_bytes = _max_photo_bytes(request)
    t = Words(choose_language(request))
    limit = megabytes(max_bytes, t, round_up=False)
    return form_page(
        request,
        category,
        max_bytes,
        photo_errors=[t("request_too_large", most=MAX_PHOTOS, limit=limit)],
        photos_again=True,
        status_code=error.status_code,
    )


def _as_the_api_answers(request: AnyRequest, error: HTTPException) -> Response[Any]:
    for kind in type(error).__mro__:
        if (handler := EXCEPTION_HANDLERS.get(kind)) is not None:
            answer: Response[Any] = handler(request, error)
            return answer
    return on_http_error(request, error)


def stopped_page(
    request: AnyRequest,
    category: Category,
    stopped: ReportStopped,
    language: str,
    values: ReportFormValues | None = None,
    photos_chosen: bool = False,
) -> Template:
    """The advice to call; its way back to the form carries everything typed (`values`)."""
    return page(
        request,
        "stopped.html.j2",
        status_code=422,
        private=True,
        advice=localized(stopped.advice, language),
        category=category_out(category, language),
        values=values or ReportFormValues(),
        photos_chosen=photos_chosen,
    )


def _max_photo_bytes(request: AnyRequest) -> int:
    # An exception handler gets no dependencies injected; `links` is the app's settings object,
    # provided by a function without parameters.
    provide = request.route_handler.resolve_dependencies().get("links")
    links = provide.dependency() if provide is not None else None
    max_bytes = getattr(links, "max_photo_bytes", None)
    return max_bytes if isinstance(max_bytes, int) else MAX_PHOTO_BYTES
