"""The open-data files under /open-data: the live GeoJSON and CSV, the daily files and the
DCAT-AP.de catalogue."""

import re
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException
from litestar.params import FromPath, FromQuery
from litestar.response import Stream
from litestar.status_codes import HTTP_304_NOT_MODIFIED

from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.open_data.domain import MEDIA_TYPES, Format
from stadtmelder_reports.open_data.service import DayNotOffered, OpenDataService

OpenData = NamedDependency[OpenDataService]
DAILY_NAME = re.compile(r"(\d{4}-\d{2}-\d{2})\.(geojson|csv)")
CHARSETS: dict[Format, str] = {"geojson": "application/geo+json", "csv": "text/csv; charset=utf-8"}


def provide_open_data(state: State) -> OpenDataService:
    open_data: OpenDataService = state.open_data
    return open_data


def licence_headers(open_data: OpenDataService, fmt: Format, name: str) -> dict[str, str]:
    """The licence as a link (RFC 8288 `license`), and a file name for downloads."""
    return {
        "link": f'<{open_data.licence.uri}>; rel="license"',
        "content-disposition": f'inline; filename="{name}.{fmt}"',
        "access-control-allow-origin": "*",
    }


class OpenDataController(Controller):
    """Files, not API operations: the DCAT-AP.de catalogue describes them for portals."""

    path = "/open-data"
    include_in_schema = False
    dependencies = {"open_data": Provide(provide_open_data, sync_to_thread=False)}  # noqa: RUF012

    @get("/reports.geojson", media_type=MEDIA_TYPES["geojson"])
    async def live_geojson(
        self, open_data: OpenData, lang: FromQuery[LanguageCode] = "de"
    ) -> Stream:
        """Every public report as an RFC 7946 FeatureCollection, newest first, streamed."""
        return _live(open_data, "geojson", lang)

    @get("/reports.csv", media_type=MEDIA_TYPES["csv"])
    async def live_csv(self, open_data: OpenData, lang: FromQuery[LanguageCode] = "de") -> Stream:
        """Every public report as CSV (RFC 4180, UTF-8, header row), newest first, streamed."""
        return _live(open_data, "csv", lang)

    @get("/daily/{name:str}")
    async def daily(
        self,
        request: Request[Any, Any, Any],
        open_data: OpenData,
        name: FromPath[str],
        lang: FromQuery[LanguageCode] = "de",
    ) -> Response[bytes]:
        """`YYYY-MM-DD.geojson` or `.csv`: the public reports created that day (UTC), as
        they are now; `ETag` and `If-None-Match` spare a harvester an unchanged file."""
        match = DAILY_NAME.fullmatch(name)
        day = _day(match.group(1)) if match else None
        if match is None or day is None:
            raise NotFoundException("Daily files are named like 2026-12-01.geojson or .csv.")
        fmt: Format = "geojson" if match.group(2) == "geojson" else "csv"
        try:
            file = await open_data.daily(day, fmt, lang)
        except DayNotOffered as error:
            raise NotFoundException(str(error)) from None
        headers = {**licence_headers(open_data, fmt, day.isoformat()), "cache-control": "no-cache"}
        headers["etag"] = f'"{file.fingerprint}"'
        if request.headers.get("if-none-match") == headers["etag"]:
            return Response(b"", status_code=HTTP_304_NOT_MODIFIED, headers=headers)
        return Response(file.body, media_type=CHARSETS[fmt], headers=headers)

    @get("/catalog.jsonld", media_type="application/ld+json")
    async def catalogue(self, open_data: OpenData) -> Response[dict[str, Any]]:
        """The DCAT-AP.de catalogue (JSON-LD) that open-data portals harvest."""
        return Response(
            await open_data.catalogue(),
            media_type="application/ld+json",
            headers={"access-control-allow-origin": "*"},
        )


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _live(open_data: OpenDataService, fmt: Format, language: str) -> Stream:
    return Stream(
        open_data.live(fmt, language),
        media_type=CHARSETS[fmt],
        headers=licence_headers(open_data, fmt, "stadtmelder-reports"),
    )
