"""Moderation: staff hide a report from the public, redact its description or remove a photo.

The composition root adds `ROUTE_HANDLERS` to the app and calls `register(...)` in its lifespan."""

from collections.abc import Callable
from typing import Any

from litestar.datastructures import State
from litestar.types import ControllerRouterHandler
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.moderation.api import ModerationController
from stadtmelder_reports.moderation.service import ModerationService
from stadtmelder_reports.staff.repository import MongoAuditLog

ROUTE_HANDLERS: tuple[ControllerRouterHandler, ...] = (ModerationController,)


def register(
    state: State,
    database: AsyncDatabase[dict[str, Any]],
    reports: ReportRepository,
    on_events_pending: Callable[[str], None],
    commands: Commands | None = None,
) -> ModerationService:
    """`state.moderation` for the routes, writing through the reports' outbox and the audit,
    and applying the steps sent to this replica as the reports' owner."""
    state.moderation = ModerationService(
        reports, MongoAuditLog(database), on_events_pending, commands=commands
    )
    moderation: ModerationService = state.moderation
    if commands is not None:
        commands.applies("moderation", moderation.apply_command)
    return moderation
