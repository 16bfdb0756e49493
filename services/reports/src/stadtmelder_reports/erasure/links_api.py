"""The erasure link in every mail to a reporter or supporter: opening it asks, a POST erases.

Notify signs the link (`LinkPurpose.ERASURE`) with the recipient's key, never the address.
Mail scanners open links, so a GET only shows what the POST would do.
"""

from typing import Any

from litestar import Controller, Response, get, post
from litestar.params import FromPath
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, Field

from stadtmelder_reports.alerts.api import ALERT_EXCEPTION_HANDLERS
from stadtmelder_reports.citizen_links.languages import link_language
from stadtmelder_reports.citizen_links.pages import (
    LINK_ERRORS,
    Holder,
    link_dependencies,
    link_page,
    message_page,
    wants_html,
)
from stadtmelder_reports.erasure.api import Erasure
from stadtmelder_reports.http.declared_responses import BY_KEY, declared
from stadtmelder_reports.http.requests import AnyRequest, Service
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.link_tokens import LinkPurpose


class ErasureLinkOut(BaseModel):
    report_id: str
    erased: bool | None = Field(
        description="Whether this request erased something; null when only opened, false when "
        "nothing was kept (any more) under this link."
    )
    detail: str


class AlertErasureOut(BaseModel):
    erased: bool = Field(description="True once the alert is cancelled and its address gone.")
    detail: str


class ErasureLinkController(Controller):
    """`/api/v1/erasure/{token}`: the link in the footer of every mail about a report."""

    path = "/api/v1/erasure/{token:str}"
    tags = ["notifications"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    dependencies = link_dependencies(LinkPurpose.ERASURE)
    exception_handlers = LINK_ERRORS

    @get(responses=declared(*BY_KEY))
    async def show(self, request: AnyRequest, service: Service, holder: Holder) -> Response[Any]:
        """What the link would do; opening it erases nothing."""
        report = await service.public_report(holder.report_id)
        t = Words(link_language(request))
        if not wants_html(request):
            how = t("erase_link_how")
            return Response(ErasureLinkOut(report_id=report.id, erased=None, detail=how))
        asked = (t("erase_what", id=report.id), t("erase_link_final"))
        return link_page(
            request, "links_erase.html.j2", t.language, t("erase_title"), paragraphs=asked
        )

    @post(status_code=HTTP_200_OK, responses=declared(*BY_KEY))
    async def erase(self, request: AnyRequest, erasure: Erasure, holder: Holder) -> Response[Any]:
        """Delete the contact data of whom the link was made for; a repeat changes nothing."""
        erased = await erasure.erase_by_link(holder)
        t = Words(link_language(request))
        done = t("erase_link_done", id=holder.report_id)
        if not wants_html(request):
            return Response(ErasureLinkOut(report_id=holder.report_id, erased=erased, detail=done))
        return message_page(request, t.language, t("erase_title"), done)


class AlertErasureController(Controller):
    """`/api/v1/erasure/alert/{token}`: the link in every alert mail, with the alert's token."""

    path = "/api/v1/erasure/alert/{token:str}"
    tags = ["alerts"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    exception_handlers = ALERT_EXCEPTION_HANDLERS

    @get(responses=declared(*BY_KEY))
    async def show(self, request: AnyRequest, token: FromPath[str]) -> Response[Any]:
        """What the link would do; opening it erases nothing (nor checks the token)."""
        t = Words(link_language(request))
        if not wants_html(request):
            return Response(AlertErasureOut(erased=False, detail=t("erase_alert_how")))
        asked = (t("erase_alert_what"), t("erase_alert_final"))
        return link_page(
            request, "links_erase.html.j2", t.language, t("erase_title"), paragraphs=asked
        )

    @post(status_code=HTTP_200_OK, responses=declared(*BY_KEY))
    async def erase(
        self, request: AnyRequest, erasure: Erasure, token: FromPath[str]
    ) -> Response[Any]:
        """Cancel the alert and delete its e-mail address everywhere; a repeat changes nothing."""
        await erasure.erase_alert_subscriber(token)
        t = Words(link_language(request))
        if not wants_html(request):
            return Response(AlertErasureOut(erased=True, detail=t("erase_alert_done")))
        return message_page(request, t.language, t("erase_title"), t("erase_alert_done"))
