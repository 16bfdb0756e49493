"""How the composition root adds the reporter's data access: its routes, page and use case."""

from typing import Any

from litestar.datastructures import State
from litestar.di import Provide
from litestar.types import ControllerRouterHandler
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.privacy.api import PrivacyController
from stadtmelder_reports.privacy.service import PrivacyService
from stadtmelder_reports.retention.domain import Periods
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.staff.repository import MongoAuditLog
from stadtmelder_shared.departments import Directory

ROUTE_HANDLERS: tuple[ControllerRouterHandler, ...] = (PrivacyController,)


def retention_of(settings: ReportsSettings) -> Periods:
    """The periods the retention round erases by, which the pages state."""
    return Periods.of_days(
        settings.contact_retention_days,
        settings.photo_retention_days,
        settings.audit_retention_days,
    )


def register(
    state: State,
    database: AsyncDatabase[dict[str, Any]],
    reports: ReportRepository,
    directory: Directory,
    settings: ReportsSettings,
) -> None:
    """`state.privacy` for the data answer, the tracking page's section and /privacy; the
    audit is the staff side's, which keeps its indexes."""
    state.privacy = PrivacyService(
        reports, MongoAuditLog(database), directory, retention_of(settings)
    )


def provide_privacy(state: State) -> PrivacyService:
    privacy: PrivacyService = state.privacy
    return privacy


DEPENDENCIES = {"privacy": Provide(provide_privacy, sync_to_thread=False)}
