"""The routing service: `create_app(settings)` wires FastStream, MongoDB, rules and timers."""

import logging
from datetime import UTC, datetime

import httpx
from faststream.asgi import AsgiFastStream

from stadtmelder_routing.areas_store import load_areas, load_assets
from stadtmelder_routing.assets import AssetRegistry
from stadtmelder_routing.erasure import RoutingErasure, register_erasure
from stadtmelder_routing.exactly_once import (
    RecordTransactions,
    TransactionalPublisher,
    in_transaction,
)
from stadtmelder_routing.handlers import Intake, register_handlers
from stadtmelder_routing.known_works import KnownWorks, MongoWorksCopy
from stadtmelder_routing.operations import failed_sends_route
from stadtmelder_routing.responsibility import DEFAULT_DIRECTORY, load_model
from stadtmelder_routing.sending.dispatcher import Dispatcher, RetryPolicy
from stadtmelder_routing.sending.kafka_topic import KafkaTopicSender
from stadtmelder_routing.sending.mailbox import MailboxSender, SmtpServer
from stadtmelder_routing.sending.methods import Sender
from stadtmelder_routing.sending.open311 import Open311Sender
from stadtmelder_routing.sending.send_log import MongoSendLog
from stadtmelder_routing.sending.topic_check import KafkaTopicCheck
from stadtmelder_routing.sending.webhook import WebhookSender
from stadtmelder_routing.service import RoutingService
from stadtmelder_routing.settings import RoutingSettings
from stadtmelder_routing.sla import OverdueWatch
from stadtmelder_routing.work_items import MongoWorkItems
from stadtmelder_shared import topics
from stadtmelder_shared.departments import SendKind, load_directory
from stadtmelder_shared.health import connection_checks, health_routes
from stadtmelder_shared.kafka import KafkaEventPublisher, connect_when_reachable, group_for
from stadtmelder_shared.kafka_security import client_options
from stadtmelder_shared.metrics import CountedSends, ServiceMetrics, metrics_route
from stadtmelder_shared.partition_owner import PartitionOwnership
from stadtmelder_shared.service_clients import connect_mongo, service_broker
from stadtmelder_shared.timers import Timers

SOURCE = "/stadtmelder/routing"
log = logging.getLogger(__name__)


def create_app(settings: RoutingSettings) -> AsgiFastStream:
    """Clients are created here but connect lazily: in the app's startup, not at import."""
    metrics = ServiceMetrics("routing")
    broker = service_broker("routing", settings, metrics)
    mongo = connect_mongo(settings.mongodb_url, metrics)
    database = mongo[settings.mongodb_database]
    directory = load_directory(settings.departments_file)
    rules_dir = settings.responsibility_dir or DEFAULT_DIRECTORY
    publisher = KafkaEventPublisher(broker, SOURCE)
    # What routing a submission publishes goes into that record's Kafka transaction.
    routed_publisher = TransactionalPublisher(publisher, SOURCE)
    transactions = RecordTransactions(
        group_for(settings.kafka_group_id, topics.REPORTS_SUBMITTED),
        settings.kafka_bootstrap_servers,
        **client_options(settings),
    )
    work_items = MongoWorkItems(database, settings.duplicate_radius_m)
    http = httpx.AsyncClient()
    send_log = MongoSendLog(database)
    smtp = SmtpServer(
        host=settings.smtp_host,
        port=settings.smtp_port,
        sender=settings.mail_from,
        username=settings.smtp_username,
        password=settings.smtp_password_value,
        starttls=settings.smtp_starttls,
    )
    # Each work order in its department's language (the directory names it).
    mailbox = MailboxSender(smtp, settings.staff_url_template, directory)
    senders: dict[SendKind, Sender] = {
        "kafka": KafkaTopicSender(routed_publisher),
        "webhook": WebhookSender(http, timeout_s=settings.send_timeout_seconds),
        "email": mailbox,
        "open311": Open311Sender(http, timeout_s=settings.send_timeout_seconds),
    }
    dispatcher = Dispatcher(
        {
            name: CountedSends(sender, metrics.department_sends, method=name)
            for name, sender in senders.items()
        },
        send_log,
        routed_publisher,
        policy=RetryPolicy(
            attempts=settings.send_attempts,
            first_wait_s=settings.send_first_wait_seconds,
            max_wait_s=settings.send_max_wait_seconds,
            lease_s=settings.send_lease_seconds,
        ),
        checks={
            "kafka": KafkaTopicCheck(settings.kafka_bootstrap_servers, **client_options(settings))
        },
        atomic=lambda method: method.kind == "kafka" and in_transaction(),
    )
    service = RoutingService(
        work_items,
        load_model(rules_dir, departments=directory),
        AssetRegistry(()),
        directory,
        routed_publisher,
        dispatcher,
        duplicate_radius_m=settings.duplicate_radius_m,
        works=KnownWorks(MongoWorksCopy(database)),
    )
    # The replica that consumes a report's submission writes its work item and its sends; the
    # timers below write only those of the reports it consumes (docs/scale-out.md).
    ownership = PartitionOwnership(topics.REPORTS_SUBMITTED)
    register_handlers(broker, service, settings.kafka_group_id, Intake(transactions, ownership))
    webhook = WebhookSender(http, timeout_s=settings.send_timeout_seconds)
    erasure = RoutingErasure(work_items, directory, publisher, webhook, mailbox)
    register_erasure(broker, erasure, settings.kafka_group_id)
    watch = OverdueWatch(
        work_items, directory, publisher, settings.jurisdiction, owns=ownership.owns
    )
    timers = Timers()
    # In every replica, each for the reports whose submissions it consumes: one writer of a
    # work item and of its sends, not a leader that need not own the report.
    timers.every(settings.sla_check_seconds, "overdue-watch", watch.check_once)
    timers.every(
        settings.send_retry_interval_seconds,
        "send-retries",
        lambda: dispatcher.retry_failed(limit=100, owns=ownership.owns),
    )
    metrics.watch_consumer_lag(broker)

    async def read_overdue() -> None:
        counts = await work_items.count_overdue(datetime.now(UTC))
        metrics.sla_overdue.clear()
        for department in directory.departments:
            metrics.sla_overdue.labels(department=department.id).set(counts.get(department.id, 0))

    metrics.refresh_at_scrape(read_overdue)

    async def start() -> None:
        # Without this, FastStream reports startup complete and the broker fails behind it.
        await connect_when_reachable(broker, settings)
        await transactions.start()
        await work_items.ensure_indexes()
        indexed = await work_items.index_open_items()
        if indexed:
            log.info("put %d open work items stored earlier into the nearby index", indexed)
        await send_log.ensure_indexes()
        imported = await load_areas(database)
        assets = AssetRegistry(await load_assets(database))
        if imported is not None or len(assets):
            service.use(load_model(rules_dir, areas=imported, departments=directory), assets)
            log.info("using %d imported areas and %d assets", len(imported or ()), len(assets))

    async def close() -> None:
        await transactions.close()
        await http.aclose()
        await mongo.close()

    return AsgiFastStream(
        broker,
        asgi_routes=[
            *health_routes(connection_checks(mongo, broker)),
            failed_sends_route(dispatcher),
            metrics_route(metrics),
        ],
        on_startup=[start],
        after_startup=[timers.start],
        on_shutdown=[timers.stop],
        after_shutdown=[close],
        logger=logging.getLogger("stadtmelder.app"),
    )
