"""How the composition root adds erasure on request: its store on the reports' collection, the
use cases in `state.erasure`, and the API route (the pages are part of the web router)."""

from collections.abc import Callable
from typing import Any

from litestar.datastructures import State
from litestar.di import Provide
from litestar.types import ControllerRouterHandler
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.erasure.alert_store import MongoAlertContactStore
from stadtmelder_reports.erasure.api import ErasureController
from stadtmelder_reports.erasure.links_api import AlertErasureController, ErasureLinkController
from stadtmelder_reports.erasure.service import DestroyKey, ErasureService, keep_no_keys
from stadtmelder_reports.erasure.store import MongoContactStore
from stadtmelder_shared.keyed_locks import KeyedLocks
from stadtmelder_shared.link_tokens import RecipientKeys

ROUTE_HANDLERS: tuple[ControllerRouterHandler, ...] = (
    ErasureController,
    ErasureLinkController,
    AlertErasureController,
)


def provide_erasure(state: State) -> ErasureService:
    erasure: ErasureService = state.erasure
    return erasure


DEPENDENCIES = {"erasure": Provide(provide_erasure, sync_to_thread=False)}


def register(
    state: State,
    database: AsyncDatabase[dict[str, Any]],
    repository: MongoReportRepository,
    on_events_pending: Callable[[str], None],
    keys: RecipientKeys,
    destroy_key: DestroyKey = keep_no_keys,
    commands: Commands | None = None,
    alert_locks: KeyedLocks | None = None,
) -> ErasureService:
    erasure = ErasureService(
        repository,
        MongoContactStore(database, repository.limits, keys),
        destroy_key=destroy_key,
        on_events_pending=on_events_pending,
        alerts=MongoAlertContactStore(database, alert_locks),
        recipient_keys=keys,
        commands=commands,
    )
    if commands is not None:
        commands.applies("erasure", erasure.apply_command)
        commands.applies("alert-erasure", erasure.apply_command)
    state.erasure = erasure
    return erasure
