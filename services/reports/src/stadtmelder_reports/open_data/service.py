"""Open data's use cases: the public reports as a live file written piece by piece, one day's
file (cached while none of its reports changed) and the catalogue describing both."""

from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.core.report_queries import ReportQuery
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.open_data import catalog, domain
from stadtmelder_reports.open_data.domain import Format, Licence
from stadtmelder_reports.open_data.store import CachedFile, DailyFileStore

# Reports read per database query: a 50,000-report file is never held in memory at once.
CHUNK = 500
# A day's file larger than this is written anew on each request instead of cached.
MAX_CACHED_BYTES = 4 * 1024 * 1024


class DayNotOffered(Exception):
    def __init__(self, day: date) -> None:
        super().__init__(f"No daily file for {day.isoformat()}.")
        self.day = day


@dataclass(frozen=True)
class OpenDataService:
    """Reads only through `ReportService.list_reports`, as the public pages and Open311 do:
    what staff hid is left out and what they redacted is published redacted."""

    reports: ReportService
    files: DailyFileStore
    base_url: str
    licence: Licence
    publisher: catalog.Publisher
    clock: Callable[[], datetime]

    async def public_reports(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> AsyncIterator[list[Report]]:
        """Newest first, CHUNK at a time."""
        query = ReportQuery(
            jurisdiction=self.reports.jurisdiction.code, since=since, until=until, limit=CHUNK
        )
        while True:
            chunk = await self.reports.list_reports(query)
            if chunk:
                yield chunk
            if len(chunk) < CHUNK:
                return
            query = replace(query, after=(chunk[-1].created_at, chunk[-1].id))

    async def live(self, fmt: Format, language: str) -> AsyncIterator[bytes]:
        """Every public report, in pieces of one chunk each."""
        yield (domain.GEOJSON_START if fmt == "geojson" else domain.csv_header()).encode()
        first = True
        async for chunk in self.public_reports():
            yield self._text(fmt, chunk, language, first).encode()
            first = False
        if fmt == "geojson":
            yield domain.GEOJSON_END.encode()

    async def daily(self, day: date, fmt: Format, language: str) -> CachedFile:
        """The reports created on `day` (UTC), as they are now."""
        if not domain.offers_day(day, self.clock().date()):
            raise DayNotOffered(day)
        since, until = domain.day_bounds(day)
        reports = [r async for chunk in self.public_reports(since, until) for r in chunk]
        name = f"{day.isoformat()}.{fmt}@{language}"
        fingerprint = domain.fingerprint(reports, name, self.base_url, self.licence.uri)
        cached = await self.files.get(name)
        if cached is not None and cached.fingerprint == fingerprint:
            return cached
        body = self._whole(fmt, reports, language)
        if len(body) <= MAX_CACHED_BYTES:
            await self.files.put(name, CachedFile(fingerprint, body))
        return CachedFile(fingerprint, body)

    async def catalogue(self) -> dict[str, Any]:
        newest = await self.reports.list_reports(
            ReportQuery(jurisdiction=self.reports.jurisdiction.code, limit=1)
        )
        # The newest report's last step; a change to an older report alone does not move it.
        modified = newest[0].updated_at if newest else self.clock()
        return catalog.catalogue(self.base_url, self.publisher, self.licence, modified)

    def _whole(self, fmt: Format, reports: list[Report], language: str) -> bytes:
        if fmt == "geojson":
            middle = self._text(fmt, reports, language, first=True)
            return (domain.GEOJSON_START + middle + domain.GEOJSON_END).encode()
        return (domain.csv_header() + self._text(fmt, reports, language, True)).encode()

    def _text(self, fmt: Format, reports: list[Report], language: str, first: bool) -> str:
        records = [domain.open_record(r, self.base_url, language) for r in reports]
        if fmt == "geojson":
            return domain.geojson_features(records, first)
        return domain.csv_rows(records)
