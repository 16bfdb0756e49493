"""Open311's page-numbered lists, read from the repository's newest-first, cursor-based search."""

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime

from stadtmelder_reports.core.domain import OPEN_STATUSES, Report
from stadtmelder_reports.core.report_queries import ReportQuery
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.open311.params import RequestFilters
from stadtmelder_reports.open311.schemas import open311_status

MAX_UPDATES = 1000
UPDATE_SCAN_CHUNK = 500


def query_for(filters: RequestFilters, jurisdiction: str) -> ReportQuery:
    """The repository query; `closed` is left to `keeps`, as the domain lists only open states."""
    statuses = tuple(sorted(OPEN_STATUSES)) if filters.statuses == {"open"} else ()
    return ReportQuery(
        jurisdiction=jurisdiction,
        bbox=filters.bbox,
        categories=filters.service_codes,
        statuses=statuses,
        ids=filters.ids,
        since=filters.start,
        until=filters.end,
        limit=filters.page_size,
    )


def keeps(filters: RequestFilters) -> Callable[[Report], bool]:
    if len(filters.statuses) == 1:
        (wanted,) = filters.statuses
        return lambda report: open311_status(report.status) == wanted
    return lambda report: True


async def find_page(service: ReportService, filters: RequestFilters) -> list[Report]:
    """Page `filters.page` of the matching reports, newest first.

    The repository continues after a (created_at, id) cursor and has no offset, so earlier pages
    are read and skipped one chunk at a time; the work ends with the last matching report.
    """
    query = query_for(filters, service.jurisdiction.code)
    keep = keeps(filters)
    skip = (filters.page - 1) * filters.page_size
    found: list[Report] = []
    while True:
        chunk = await service.list_reports(query)
        for report in filter(keep, chunk):
            if skip:
                skip -= 1
            else:
                found.append(report)
                if len(found) == filters.page_size:
                    return found
        if len(chunk) < query.limit:
            return found
        query = replace(query, after=(chunk[-1].created_at, chunk[-1].id))


async def changed_between(service: ReportService, start: datetime, end: datetime) -> list[Report]:
    """Reports with a status change between start and end, for the updates feed.

    The repository filters by creation time only, so every report created before `end` is
    looked at; a query on the time of the last change would let it read just those changed.
    """
    query = ReportQuery(jurisdiction=service.jurisdiction.code, until=end, limit=UPDATE_SCAN_CHUNK)
    found: list[Report] = []
    while True:
        chunk = await service.list_reports(query)
        found.extend(
            report
            for report in chunk
            if report.updated_at >= start and any(start <= c.at <= end for c in report.history)
        )
        if len(chunk) < query.limit:
            return found
        query = replace(query, after=(chunk[-1].created_at, chunk[-1].id))
