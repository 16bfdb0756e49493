"""Open reports nearby through the reports service: the index for the duplicate radius, the
full list only for a wider circle asked over the API."""

from datetime import UTC, datetime

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.service import ReportService
from stadtmelder_shared.event_values import Location, Reporter
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import valid_answers
from tests.fakes import InMemoryReportRepository

DUISBURG = load_jurisdiction()
KOENIGSTRASSE = Location(lat=51.4325, lon=6.7652)
# About 780 m north of Königstraße.
NORTH = Location(lat=51.4395, lon=6.7652)


async def a_report_at(service: ReportService, where: Location) -> str:
    submission = Submission(
        "street_light_out",
        "Laterne dunkel",
        where,
        answers=valid_answers(DUISBURG.category("street_light_out")),
        contact=Reporter(email="anna@example.org"),
    )
    return (await service.submit_report(submission)).report.id


def a_service() -> ReportService:
    return ReportService(
        InMemoryReportRepository(),
        DUISBURG,
        clock=lambda: datetime.now(UTC),
        data_keys=InMemoryDataKeys(),
    )


async def test_a_report_within_the_duplicate_radius_is_offered_with_its_distance() -> None:
    service = a_service()
    here = await a_report_at(service, KOENIGSTRASSE)
    await a_report_at(service, NORTH)

    found = await service.open_reports_nearby("street_light_out", KOENIGSTRASSE)

    assert [(report.id, round(distance)) for report, distance in found] == [(here, 0)]


async def test_a_circle_wider_than_the_index_still_finds_reports_in_it() -> None:
    service = a_service()
    here = await a_report_at(service, KOENIGSTRASSE)
    north = await a_report_at(service, NORTH)

    found = await service.open_reports_nearby("street_light_out", KOENIGSTRASSE, radius_m=1000)

    assert [report.id for report, _ in found] == [here, north]
