"""How the composition root adds the report core: the repository on MongoDB with its indexes, the
outbox relay, the use cases the JSON API, Open311, the pages and the consumers share, and those of
what citizens tell us afterwards."""

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from litestar.datastructures import State
from litestar.di import Provide
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.core import domain
from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.citizen_choices import CitizenChoices
from stadtmelder_reports.core.domain import new_owned_report_id
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.core.outbox import OutboxRelay, ReportOutbox
from stadtmelder_reports.core.service import PlaygroundFinder, ReportService
from stadtmelder_reports.integrations.webhook_store import MongoAppWebhookStore
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_shared.data_keys import DataKeys
from stadtmelder_shared.departments import Directory
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.link_tokens import RecipientKeys
from stadtmelder_shared.partition_owner import PartitionOwnership

log = logging.getLogger(__name__)


def provide_choices(state: State) -> CitizenChoices:
    choices: CitizenChoices = state.choices
    return choices


DEPENDENCIES = {"choices": Provide(provide_choices, sync_to_thread=False)}


@dataclass(frozen=True)
class Core:
    repository: MongoReportRepository
    relay: OutboxRelay
    service: ReportService


async def register(
    state: State,
    database: AsyncDatabase[dict[str, Any]],
    publisher: EventPublisher,
    settings: ReportsSettings,
    jurisdiction: Jurisdiction,
    directory: Directory,
    data_keys: DataKeys,
    playgrounds: PlaygroundFinder | None = None,
    ownership: PartitionOwnership | None = None,
) -> Core:
    """The repository with its indexes (filled once from reports stored before them), the relay
    of its outbox, which the caller runs while Kafka is up, and `state.service` and `state.choices`
    for the routes. With `ownership`, this replica writes only the reports it owns: new ones get
    an owned id, the relay marks only theirs sent, and what it remembers of reports is
    forgotten when partitions move."""
    repository = MongoReportRepository(database, settings.duplicate_radius_m)
    await repository.ensure_indexes()
    indexed = await repository.index_open_reports()
    if indexed:
        log.info("put %d open reports stored earlier into the nearby index", indexed)
    tokens = await repository.index_tracking_tokens()
    if tokens:
        log.info("put %d tracking tokens stored earlier into the tracking index", tokens)
    outbox = ReportOutbox(repository)
    relay = OutboxRelay(
        outbox, publisher, settings.outbox_poll_seconds, ownership, finish=outbox.finish
    )
    repository.limits.when_pending(relay.wake)
    new_report_id = domain.new_report_id
    if ownership is not None:
        ownership.on_change(repository.limits.ownership_changed)
        new_report_id = partial(new_owned_report_id, ownership.owns)
    state.service = ReportService(
        repository,
        jurisdiction,
        duplicate_radius_m=settings.duplicate_radius_m,
        on_events_pending=relay.wake,
        directory=directory,
        app_webhooks=MongoAppWebhookStore(database),
        data_keys=data_keys,
        playgrounds=playgrounds,
        recipient_keys=RecipientKeys.under(settings.link_secret.get_secret_value().encode()),
        new_report_id=new_report_id,
    )
    state.choices = CitizenChoices(repository, on_events_pending=relay.wake)
    return Core(repository, relay, state.service)
