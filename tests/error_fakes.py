"""A reports app whose every report look-up fails with the error a test chooses: for the error
pages, in unit tests and in a real browser."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, NoReturn

from litestar import Litestar

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from tests.data_key_fakes import InMemoryDataKeys
from tests.fakes import InMemoryReportRepository


class FailingRepository(InMemoryReportRepository):
    """Fails every report it is asked for with `error`."""

    def __init__(self) -> None:
        super().__init__()
        self.error: Exception = RuntimeError("a bug quoting anna@example.org")

    async def get(self, *_: Any, **__: Any) -> NoReturn:
        raise self.error


def failing_app(repository: FailingRepository) -> Litestar:
    @asynccontextmanager
    async def with_failing_service(app: Litestar) -> AsyncIterator[None]:
        jurisdiction = load_jurisdiction()
        app.state.service = ReportService(repository, jurisdiction, data_keys=InMemoryDataKeys())
        yield

    return build_app(
        with_failing_service, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(5)
    )
