"""The confirmation link of a supporter's address (double opt-in), under /api/v1/supporters.

Notify signs the link with `NOTIFY_LINK_SECRET` for the purpose `support`; opening it (GET) asks,
because mail scanners open links too, and the button's POST confirms: only then does notify
write to the address about the report's steps.
"""

from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.status_codes import HTTP_404_NOT_FOUND
from pydantic import BaseModel, Field

from stadtmelder_reports.citizen_links import pages
from stadtmelder_reports.citizen_links.languages import link_language
from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.http.declared_responses import BY_KEY, declared
from stadtmelder_reports.http.errors import error_response
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.support.domain import SupportLinkExpired
from stadtmelder_reports.support.service import SupportService
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.link_tokens import LinkPurpose

Support = NamedDependency[SupportService]
EXPIRED = (
    "The address is not kept (any more): not confirmed within 7 days, or erased. "
    "Supporting the report again sends a new link."
)


class SupportLinkOut(BaseModel):
    report_id: str
    confirmed: bool = Field(description="Whether the address hears about the report's steps.")
    detail: str


def on_link_expired(request: AnyRequest, error: SupportLinkExpired) -> Response[Any]:
    if not pages.wants_html(request):
        return error_response(HTTP_404_NOT_FOUND, "support_link_expired", str(error))
    language = link_language(request)
    t = Words(language)
    return pages.message_page(
        request,
        language,
        t("links_problem"),
        t("support_link_expired"),
        status_code=HTTP_404_NOT_FOUND,
    )


class SupportLinkController(Controller):
    """`/api/v1/supporters/confirm/{token}`: the link of the confirmation mail."""

    path = "/api/v1/supporters"
    tags = ["supporters"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    dependencies = pages.link_dependencies(LinkPurpose.SUPPORT)
    exception_handlers = {**pages.LINK_ERRORS, SupportLinkExpired: on_link_expired}  # noqa: RUF012

    @get("/confirm/{token:str}", responses=declared(*BY_KEY, why={404: EXPIRED}))
    async def show_confirmation(
        self, request: AnyRequest, support: Support, holder: pages.Holder
    ) -> Response[Any]:
        """What the link would confirm (`lang` chooses the page's language); opening it
        changes nothing."""
        report, supporter = await support.to_confirm(holder)
        language = link_language(request, supporter.contact.language)
        return _answer(request, report, language, supporter.confirmed)

    @post("/confirm/{token:str}", status_code=200, responses=declared(*BY_KEY, why={404: EXPIRED}))
    async def confirm(
        self, request: AnyRequest, support: Support, holder: pages.Holder
    ) -> Response[Any]:
        """Confirm the address: the double opt-in. Twice is fine."""
        report = await support.confirm(holder)
        return _answer(request, report, link_language(request), confirmed=True)


def _answer(
    request: AnyRequest, report: Report, language: LanguageCode, confirmed: bool
) -> Response[Any]:
    """The question with its button, or, once confirmed, what the click did."""
    t = Words(language)
    if confirmed:
        title, button = t("support_link_confirmed_title"), None
        text = t("support_link_confirmed", report_id=report.id)
    else:
        title, button = t("support_link_confirm_title"), t("support_link_confirm_button")
        text = t("support_link_confirm_question", report_id=report.id)
    if not pages.wants_html(request):
        return Response(SupportLinkOut(report_id=report.id, confirmed=confirmed, detail=text))
    return pages.link_page(
        request,
        "support_link.html.j2",
        language,
        title,
        text=text,
        button=button,
        report_id=report.id,
    )
