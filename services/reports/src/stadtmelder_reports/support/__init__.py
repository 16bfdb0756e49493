"""Supporting a report with double opt-in: the count at once, the address only after its
confirmation link was followed, and addresses never confirmed forgotten after 7 days.

The composition root calls `register(...)` in its lifespan (the service goes into
`state.support`, the cleanup onto the timers) and adds `ROUTE_HANDLERS` and `DEPENDENCIES`."""

from collections.abc import Callable
from typing import Any

from litestar.datastructures import State
from litestar.di import Provide
from litestar.types import ControllerRouterHandler
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.erasure.service import ErasureService
from stadtmelder_reports.support.api import SupportLinkController
from stadtmelder_reports.support.commanded import SUPPORT_ACTIONS
from stadtmelder_reports.support.service import SupportService
from stadtmelder_reports.support.store import MongoSupporterStore
from stadtmelder_shared.timers import Timers

ROUTE_HANDLERS: tuple[ControllerRouterHandler, ...] = (SupportLinkController,)


def register(
    state: State,
    database: AsyncDatabase[dict[str, Any]],
    repository: MongoReportRepository,
    reports: ReportService,
    erasure: ErasureService,
    timers: Timers,
    cleanup_seconds: float,
    on_events_pending: Callable[[str], None],
    commands: Commands | None = None,
) -> SupportService:
    """The service in `state.support`; the cleanup runs with retention's rounds. With
    `commands`, support over HTTP is applied by the report's owner."""
    store = MongoSupporterStore(database, repository.limits, reports.recipient_keys)
    service = SupportService(reports, store, erasure, on_events_pending, commands=commands)
    if commands is not None:
        for kind in SUPPORT_ACTIONS:
            commands.applies(kind, service.apply_command)
    state.support = service
    timers.every(cleanup_seconds, "unconfirmed supporters", service.forget_unconfirmed)
    return service


def provide_support(state: State) -> SupportService:
    support: SupportService = state.support
    return support


DEPENDENCIES = {"support": Provide(provide_support, sync_to_thread=False)}
