"""The reports app over in-memory stores, as the report form's unit tests post to it."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.privacy.service import PrivacyService
from stadtmelder_reports.retention.domain import Periods
from stadtmelder_shared.departments import load_directory
from tests.data_key_fakes import InMemoryDataKeys
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository


def form_app(
    store: InMemoryReportRepository, max_photo_bytes: int, submissions_per_minute: int = 50
) -> Litestar:
    service = ReportService(
        store, load_jurisdiction(), directory=load_directory(), data_keys=InMemoryDataKeys()
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.privacy = PrivacyService(
            store, InMemoryAuditLog(), load_directory(), Periods.of_days(90, 365, 730)
        )
        yield

    settings = ApiSettings("https://melder.example", max_photo_bytes)
    return build_app(lifespan, settings, SubmissionLimiter(submissions_per_minute))
