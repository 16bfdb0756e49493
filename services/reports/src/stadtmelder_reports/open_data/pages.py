"""The /open-data page: what is published, in which formats, under which licence."""

from datetime import timedelta

from litestar import Controller, get
from litestar.di import Provide
from litestar.response import Template

from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.open_data.api import OpenData, provide_open_data
from stadtmelder_reports.open_data.domain import FIRST_DAY, FORMAT_NAMES
from stadtmelder_reports.web.rendering import page

# The page links the last two weeks' files; older ones have the same names.
DAYS_LISTED = 14


class OpenDataPage(Controller):
    include_in_schema = False
    dependencies = {"open_data": Provide(provide_open_data, sync_to_thread=False)}  # noqa: RUF012

    @get("/open-data")
    async def open_data_page(self, request: AnyRequest, open_data: OpenData) -> Template:
        today = open_data.clock().date()
        days = [today - timedelta(days=n) for n in range(DAYS_LISTED)]
        return page(
            request,
            "open_data.html.j2",
            licence=open_data.licence,
            formats=FORMAT_NAMES,
            days=[day.isoformat() for day in days if day >= FIRST_DAY],
            base_url=open_data.base_url,
        )
