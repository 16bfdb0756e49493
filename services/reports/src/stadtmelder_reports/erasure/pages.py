"""The tracking page's erasure: a confirmation page and the form that erases, without JavaScript."""

from litestar import Controller, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.erasure.api import Erasure
from stadtmelder_reports.errors import TrackingTokenUnknown
from stadtmelder_reports.http.requests import AnyRequest, Service
from stadtmelder_reports.web.rendering import page, see_other
from stadtmelder_reports.web.report_pages import on_not_found


class ErasurePages(Controller):
    include_in_schema = False
    exception_handlers: ExceptionHandlersMap = {  # noqa: RUF012 (read by Litestar)
        TrackingTokenUnknown: on_not_found,
    }

    @get("/track/{token:str}/contact/erase")
    async def confirm(
        self, request: AnyRequest, service: Service, token: FromPath[str]
    ) -> Template:
        """Asks once more: erasing cannot be undone, and mails about the report stop."""
        report = await service.tracked_report(token)
        return page(
            request,
            "erase_contact.html.j2",
            private=True,
            report_id=report.id,
            token=token,
            erased_at=report.contact_erased_at,
        )

    @post("/track/{token:str}/contact/erase")
    async def erase(self, erasure: Erasure, token: FromPath[str]) -> Redirect:
        await erasure.erase_reporter(token)
        return see_other(f"/track/{token}?erased=1")
