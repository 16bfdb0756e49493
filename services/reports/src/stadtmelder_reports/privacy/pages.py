"""The public page "Ihre Daten": what is stored about reporters, why, who sees it, how long."""

from litestar import Controller, get
from litestar.response import Template

from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.privacy.service import Privacy
from stadtmelder_reports.web.rendering import page


class PrivacyPages(Controller):
    """A part of the web router, whose `web` option the pages are rendered with."""

    include_in_schema = False

    @get("/privacy")
    async def privacy_page(self, request: AnyRequest, privacy: Privacy) -> Template:
        return page(request, "privacy.html.j2", retention=privacy.retention)
