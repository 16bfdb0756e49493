"""How the mail links answer: a page for people, JSON for apps, and the same for their errors."""

import json
from typing import Any

from litestar import Response
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.citizen_links.domain import BadAnswer, LinkInvalid, LinkTokens
from stadtmelder_reports.citizen_links.languages import link_language
from stadtmelder_reports.errors import ReportNotFound, ReportsError
from stadtmelder_reports.http.errors import error_response
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.web.rendering import page
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.link_tokens import LinkHolder, LinkPurpose
from stadtmelder_shared.translations import N_


def provide_link_tokens(state: State) -> LinkTokens:
    """The checker `routes.register` put into the app's state."""
    link_tokens: LinkTokens = state.link_tokens
    return link_tokens


Tokens = NamedDependency[LinkTokens]
Holder = NamedDependency[LinkHolder]


def link_dependencies(purpose: LinkPurpose) -> dict[str, Provide]:
    """A controller's `link_tokens`, and its `holder`: whom the link in the path (`token`) was
    signed for, for `purpose`; a forged or cut link is refused before the handler runs."""

    def linked_holder(link_tokens: Tokens, token: FromPath[str]) -> LinkHolder:
        return link_tokens.check(token, purpose)

    return {
        "link_tokens": Provide(provide_link_tokens, sync_to_thread=False),
        "holder": Provide(linked_holder, sync_to_thread=False),
    }


def wants_html(request: AnyRequest) -> bool:
    """Browsers ask for HTML; apps and scripts get JSON."""
    return request.accept.best_match(["application/json", "text/html"]) == "text/html"


def link_page(
    request: AnyRequest,
    template: str,
    language: LanguageCode,
    title: str,
    status_code: int = 200,
    **context: Any,
) -> Template:
    """A page of the `links_*` templates in the site's frame, in `language`; private, since
    its address holds the link's token (never cached, indexed or passed on as referrer)."""
    return page(
        request, template, status_code, private=True, language=language, title=title, **context
    )


def message_page(
    request: AnyRequest,
    language: LanguageCode,
    title: str,
    *paragraphs: str,
    status_code: int = 200,
) -> Template:
    return link_page(
        request, "links_base.html.j2", language, title, status_code, paragraphs=list(paragraphs)
    )


async def submitted_fields(request: AnyRequest) -> dict[str, Any]:
    """The fields of a JSON body or of a form (the pages' forms, RFC 8058's one click)."""
    media_type, _ = request.content_type
    if media_type == "application/json":
        raw = await request.body()
        try:
            fields = json.loads(raw) if raw.strip() else {}
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            raise BadAnswer("Send a JSON object.")
        return fields
    if media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        return {key: form.get(key) for key in form}
    return {}


# Each error of the mail links: its status, the API's code and the page's sentence.
LINK_ANSWERS: dict[type[ReportsError], tuple[int, str, str]] = {
    LinkInvalid: (HTTP_404_NOT_FOUND, "link_invalid", N_("links_invalid")),
    ReportNotFound: (HTTP_404_NOT_FOUND, "report_not_found", N_("links_invalid")),
    BadAnswer: (HTTP_400_BAD_REQUEST, "invalid_request", N_("links_bad_answer")),
}


def on_link_error(request: AnyRequest, error: ReportsError) -> Response[Any]:
    """Errors of the mail links: a page for people, the API's error body (with its English
    sentence) for apps."""
    status, code, key = LINK_ANSWERS[type(error)]
    if wants_html(request):
        t = Words(link_language(request))
        return message_page(request, t.language, t("links_problem"), t(key), status_code=status)
    return error_response(status, code, str(error))


LINK_ERRORS: ExceptionHandlersMap = dict.fromkeys(LINK_ANSWERS, on_link_error)
