"""How the composition root adds retention: its store on the reports' database, the service,
the counter `/metrics` shows, and the round on the service's timers."""

from typing import Any

from prometheus_client import Counter
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.commands.service import Commands
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.erasure.service import ErasureService
from stadtmelder_reports.retention.domain import Periods
from stadtmelder_reports.retention.service import RetentionService, What
from stadtmelder_reports.retention.store import MongoRetentionStore
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_shared.leadership import KafkaLeadership
from stadtmelder_shared.metrics import ServiceMetrics
from stadtmelder_shared.timers import Timers


async def register(
    timers: Timers,
    database: AsyncDatabase[dict[str, Any]],
    repository: MongoReportRepository,
    erasure: ErasureService,
    settings: ReportsSettings,
    metrics: ServiceMetrics,
    commands: Commands | None = None,
) -> RetentionService:
    erased = Counter(
        "stadtmelder_retention_erased",
        "What the retention round erased because its period ended: contact data of people "
        "(reporters and supporters), photos of closed reports, staff reads of contact data.",
        ["what"],
        registry=metrics.registry,
    )
    for what in ("contact", "photos", "audit"):
        erased.labels(what=what)  # shown as 0 before the first erasure

    def count(what: What, how_many: int) -> None:
        erased.labels(what=what).inc(how_many)

    store = MongoRetentionStore(database, repository.limits, erasure.recipient_keys)
    await store.ensure_indexes()
    service = RetentionService(
        repository,
        store,
        erasure,
        Periods.of_days(
            settings.contact_retention_days,
            settings.photo_retention_days,
            settings.audit_retention_days,
        ),
        count=count,
        commands=commands,
    )
    if commands is not None:
        commands.applies("photo-removal", service.apply_command)
    # Once across replicas (docs/scale-out.md): two rounds at once would write the same reports.
    timers.every(
        settings.retention_interval_seconds,
        "retention",
        service.run_round,
        once=KafkaLeadership(settings, "reports.retention"),
    )
    return service
