"""How the composition root adds the departments' work: token checks, the audit log, the roster
and the workflow's use cases on the reports' repository."""

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from litestar.datastructures import State
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.repository import ReportRepository
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.staff.auth import (
    LOCAL_ISSUER,
    JwksKeys,
    KeySource,
    LocalKeys,
    TokenVerifier,
)
from stadtmelder_reports.staff.commanded import STAFF_ACTIONS, apply_staff_command
from stadtmelder_reports.staff.repository import MongoAuditLog, MongoStaffRoster
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_shared.departments import Directory

log = logging.getLogger(__name__)


def staff_verifier(settings: ReportsSettings, directory: Directory) -> TokenVerifier:
    """The OIDC provider's keys when a JWKS URL is set, else the local development key."""
    keys: KeySource
    if settings.staff_jwks_url:
        if not settings.staff_issuer:
            raise ValueError("REPORTS_STAFF_JWKS_URL needs REPORTS_STAFF_ISSUER to be set too")
        keys, issuer = JwksKeys(settings.staff_jwks_url), settings.staff_issuer
    else:
        log.info("staff tokens are checked with the local key %s", settings.staff_signing_key_file)
        keys = LocalKeys(settings.staff_signing_key_file)
        issuer = settings.staff_issuer or LOCAL_ISSUER
    return TokenVerifier(keys, issuer, settings.staff_audience, directory)


async def register(
    state: State,
    database: AsyncDatabase[dict[str, Any]],
    reports: ReportRepository,
    directory: Directory,
    jurisdiction: str,
    verifier: TokenVerifier,
    on_events_pending: Callable[[str], None],
    commands: Commands | None = None,
) -> WorkService:
    """`state.work` and `state.staff_verifier` for the staff routes; the work, for consumers."""
    audit = MongoAuditLog(database)
    await audit.ensure_indexes()
    state.work = WorkService(
        reports,
        audit,
        MongoStaffRoster(database),
        directory,
        jurisdiction,
        on_events_pending=on_events_pending,
        commands=commands,
    )
    state.staff_verifier = verifier
    work: WorkService = state.work
    if commands is not None:
        for kind in STAFF_ACTIONS:
            commands.applies(kind, partial(apply_staff_command, work))
    return work
