"""Open data: the public reports as GeoJSON and CSV (live and per day) under a licence, with a
DCAT-AP.de catalogue for open-data portals.

The composition root adds `ROUTE_HANDLERS` to the app and calls `register(...)` in its lifespan."""

from collections.abc import Callable
from datetime import datetime
from typing import Any

from litestar.datastructures import State
from litestar.types import ControllerRouterHandler
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.open_data.api import OpenDataController
from stadtmelder_reports.open_data.catalog import Publisher
from stadtmelder_reports.open_data.domain import Licence
from stadtmelder_reports.open_data.pages import OpenDataPage
from stadtmelder_reports.open_data.service import OpenDataService
from stadtmelder_reports.open_data.store import DailyFileStore, MongoDailyFiles
from stadtmelder_reports.settings import ReportsSettings

ROUTE_HANDLERS: tuple[ControllerRouterHandler, ...] = (OpenDataController, OpenDataPage)


def open_data_service(
    reports: ReportService,
    files: DailyFileStore,
    settings: ReportsSettings,
    clock: Callable[[], datetime],
) -> OpenDataService:
    return OpenDataService(
        reports,
        files,
        settings.public_base_url.rstrip("/"),
        Licence(settings.open_data_licence, settings.open_data_attribution),
        Publisher(
            settings.open_data_publisher,
            settings.open_data_contact_email,
            settings.open_data_municipality_key,
            settings.open_data_contributor_id,
        ),
        clock,
    )


def register(
    state: State,
    database: AsyncDatabase[dict[str, Any]],
    reports: ReportService,
    settings: ReportsSettings,
    clock: Callable[[], datetime],
) -> None:
    """`state.open_data` for the routes, with the daily files cached in `database`."""
    state.open_data = open_data_service(reports, MongoDailyFiles(database), settings, clock)
