"""The reports service: `create_app(settings)` wires Litestar, MongoDB, Kafka and the relay."""

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from functools import partial

from faststream.kafka import KafkaBroker
from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme

from stadtmelder_reports import (
    moderation,
    open_data,
    playgrounds,
    sensor_reports,
    statistics,
    support,
)
from stadtmelder_reports.alerts import AlertsFeature
from stadtmelder_reports.alerts import register as register_alerts
from stadtmelder_reports.citizen_links import routes as citizen_links
from stadtmelder_reports.citizen_links.service import apply_feedback
from stadtmelder_reports.commands import wiring as commanding
from stadtmelder_reports.core import wiring as core
from stadtmelder_reports.core.catalogue import (
    DEFAULT_DIRECTORY,
    load_departments,
    load_jurisdiction,
)
from stadtmelder_reports.core.citizen_choices import commanded
from stadtmelder_reports.core.handlers import register_handlers
from stadtmelder_reports.core.outbox import OutboxRelay
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.erasure import wiring as erasure
from stadtmelder_reports.fleet_pages import wiring as fleet_pages
from stadtmelder_reports.http.health import HealthController
from stadtmelder_reports.http.observability import (
    http_metrics,
    metrics_endpoint,
    route_named_spans,
    tracing_plugin,
)
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.reports_api import ReportsController
from stadtmelder_reports.http.request_limits import (
    MAX_FIELDS,
    BodyLimits,
    RequestLimits,
    photo_body_bytes,
)
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.http.submission_guards import refuse_before_body
from stadtmelder_reports.integrations import routes as integrations
from stadtmelder_reports.integrations.api_keys import ApiKeyStore
from stadtmelder_reports.integrations.push import push_settings
from stadtmelder_reports.integrations.webhooks import local_deployment
from stadtmelder_reports.open311.api import Open311Controller
from stadtmelder_reports.photos.uploads import photo_workers, provide_photo_workers
from stadtmelder_reports.privacy import routes as privacy
from stadtmelder_reports.retention import wiring as retention
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.staff import wiring as staff
from stadtmelder_reports.staff.api import BEARER_SCHEME, StaffController
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.staff.sign_in import wiring as sign_in
from stadtmelder_reports.web.error_pages import PAGE_EXCEPTION_HANDLERS
from stadtmelder_reports.web.geocoding import Geocoder, NominatimGeocoder
from stadtmelder_reports.web.rendering import WebSettings
from stadtmelder_reports.web.routes import web_router, web_settings, web_template_config
from stadtmelder_reports.works import wiring as works
from stadtmelder_shared import topics
from stadtmelder_shared.clock import utc_now
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.data_keys import mongo_data_keys
from stadtmelder_shared.health import connection_checks
from stadtmelder_shared.kafka import KafkaEventPublisher, connect_when_reachable
from stadtmelder_shared.metrics import ServiceMetrics
from stadtmelder_shared.partition_owner import PartitionOwnership
from stadtmelder_shared.service_clients import connect_mongo, service_broker
from stadtmelder_shared.timers import Timers

log = logging.getLogger(__name__)

Lifespan = Callable[[Litestar], AbstractAsyncContextManager[None]]

SOURCE = "/stadtmelder/reports"
# On shutdown the relays get this long to announce what was accepted before Kafka closes.
RELAY_DRAIN_SECONDS = 10.0
KAFKA_START_GRACE_SECONDS = 10.0


async def start_kafka_then_relay(
    broker: KafkaBroker,
    relays: tuple[OutboxRelay, ...],
    settings: ReportsSettings,
    relaying: asyncio.Event,
) -> None:
    """Connect to Kafka, waiting while it is away; submissions are accepted meanwhile."""
    await connect_when_reachable(broker, settings)
    starting = asyncio.ensure_future(broker.start())
    try:
        await asyncio.shield(starting)
    except asyncio.CancelledError:
        # A stop during aiokafka's bootstrap would leave its socket open: let the start end
        # (bounded), so that broker.stop() afterwards closes everything it opened.
        with contextlib.suppress(Exception):
            await asyncio.wait_for(starting, KAFKA_START_GRACE_SECONDS)
        raise
    log.info("connected to Kafka")
    relaying.set()
    await asyncio.gather(*(relay.run() for relay in relays))


async def stop_relays(
    kafka_side: asyncio.Task[None],
    relays: tuple[OutboxRelay, ...],
    relaying: asyncio.Event,
) -> None:
    """Let running relays finish their pass; events left over wait in the outbox anyway."""
    if relaying.is_set():
        for relay in relays:
            relay.stop()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(kafka_side), RELAY_DRAIN_SECONDS)
    kafka_side.cancel()
    await asyncio.gather(kafka_side, return_exceptions=True)


def create_app(settings: ReportsSettings) -> Litestar:
    jurisdiction = load_jurisdiction(
        settings.jurisdiction_dir or DEFAULT_DIRECTORY, settings.boundary_file
    )
    directory = load_departments(settings.departments_file)
    verifier = staff.staff_verifier(settings, directory)
    api_settings = ApiSettings(settings.public_base_url.rstrip("/"), settings.max_photo_bytes)
    limiter = SubmissionLimiter(settings.submissions_per_minute, settings.replicas)
    alerts = AlertsFeature()
    local = local_deployment(settings.public_base_url)
    push = push_settings(settings.vapid_public_key, settings.vapid_key_file, local)
    metrics = ServiceMetrics("reports", process_series=False)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        client = connect_mongo(settings.mongodb_url, metrics)
        database = client[settings.mongodb_database]
        data_keys = mongo_data_keys(client, settings.data_keys_database)
        broker = service_broker("reports", settings, metrics)
        publisher = KafkaEventPublisher(broker, SOURCE)
        places = playgrounds.locator(database)
        # Which reports this replica writes: those of its partitions (docs/scale-out.md).
        ownership = PartitionOwnership(topics.REPORTS_ROUTED)
        report_core = await core.register(
            app.state,
            database,
            publisher,
            settings,
            jurisdiction,
            directory,
            data_keys,
            places,
            ownership,
        )
        playgrounds.register(app.state, places, report_core.service, jurisdiction.code)
        relay = report_core.relay
        # Writes of existing reports asked over HTTP, applied by each report's one writer.
        commands = commanding.register(broker, publisher, settings.command_wait_seconds)
        work = await staff.register(
            app.state,
            database,
            report_core.repository,
            directory,
            jurisdiction.code,
            verifier,
            on_events_pending=relay.wake,
            commands=commands,
        )
        commands.applies("feedback", partial(apply_feedback, app.state.choices, work))
        app.state.choices = commanded(app.state.choices, commands, Contacts(data_keys))
        sign_in.register(app.state, settings, directory, verifier)
        register_handlers(
            broker, report_core.service, work, settings.kafka_group_id, ownership, commands
        )
        sensor_reports.register(
            broker, database, report_core.service, work, settings.kafka_group_id, commands=commands
        )
        fleet_pages.register(
            app.state,
            broker,
            database,
            publisher,
            jurisdiction.code,
            settings.kafka_group_id,
            utc_now,
        )
        erasing = erasure.register(
            app.state,
            database,
            report_core.repository,
            relay.wake,
            report_core.service.recipient_keys,
            data_keys.destroy,
            commands,
            alert_locks=alerts.locks,
        )
        timers = Timers()
        await retention.register(
            timers, database, report_core.repository, erasing, settings, metrics, commands
        )
        support.register(
            app.state,
            database,
            report_core.repository,
            report_core.service,
            erasing,
            timers,
            settings.retention_interval_seconds,
            relay.wake,
            commands,
        )
        moderation.register(app.state, database, report_core.repository, relay.wake, commands)
        open_data.register(app.state, database, report_core.service, settings, utc_now)
        statistics.register(
            app.state,
            broker,
            database,
            timers,
            settings.kafka_group_id,
            settings.statistics_rebuild_seconds,
        )
        alert_relay = await alerts.start(
            database,
            jurisdiction,
            publisher,
            settings.outbox_poll_seconds,
            data_keys,
            commands=commands,
            ownership=ownership,
        )
        works_relay = works.register(
            app.state, database, publisher, jurisdiction.code, settings.outbox_poll_seconds
        )
        integrations.register(
            app.state, database, settings.link_secret.get_secret_value().encode(), push, local
        )
        citizen_links.register(app.state, settings.link_secret.get_secret_value().encode())
        privacy.register(app.state, database, report_core.repository, directory, settings)
        app.state.readiness = commanding.with_listening(connection_checks(client, broker), commands)
        metrics.watch_consumer_lag(broker)

        async def read_outbox_backlog() -> None:
            backlog = await report_core.repository.count_pending_events()
            metrics.outbox_backlog.labels(outbox="reports").set(backlog)

        metrics.refresh_at_scrape(read_outbox_backlog)
        relaying = asyncio.Event()
        relays = (relay, alert_relay, works_relay)
        kafka_side = asyncio.create_task(start_kafka_then_relay(broker, relays, settings, relaying))
        listening = asyncio.create_task(commanding.listen(commands, publisher, relaying))
        await timers.start()
        try:
            yield
        finally:
            await timers.stop()
            listening.cancel()
            # Uvicorn stopped accepting and finished the requests in flight before this.
            await stop_relays(kafka_side, relays, relaying)
            await broker.stop()
            await client.close()

    geocoder = NominatimGeocoder(settings.geocoder_url) if settings.geocoder_url else None
    return build_app(
        lifespan,
        api_settings,
        limiter,
        metrics,
        web=web_settings(settings),
        geocoder=geocoder,
        alerts=alerts,
    )


def build_app(
    lifespan: Lifespan,
    api_settings: ApiSettings,
    limiter: SubmissionLimiter,
    metrics: ServiceMetrics | None = None,
    web: WebSettings | None = None,
    geocoder: Geocoder | None = None,
    alerts: AlertsFeature | None = None,
) -> Litestar:
    """The HTTP app around a lifespan that puts into the app state: `service`, `choices`,
    `work`, `staff_verifier`, `api_keys`, `link_tokens`, `privacy`, `fleet_views` and
    `readiness`."""

    def provide_service(state: State) -> ReportService:
        service: ReportService = state.service
        return service

    def provide_work(state: State) -> WorkService:
        work: WorkService = state.work
        return work

    def provide_api_keys(state: State) -> ApiKeyStore:
        api_keys: ApiKeyStore = state.api_keys
        return api_keys

    alert_part = register_alerts(alerts or AlertsFeature())
    largest_body = photo_body_bytes(api_settings.max_photo_bytes)
    pages = web or WebSettings()
    return Litestar(
        route_handlers=[
            ReportsController,
            HealthController,
            Open311Controller,
            StaffController,
            *moderation.ROUTE_HANDLERS,
            *open_data.ROUTE_HANDLERS,
            *playgrounds.ROUTE_HANDLERS,
            *statistics.ROUTE_HANDLERS,
            *citizen_links.ROUTE_HANDLERS,
            *erasure.ROUTE_HANDLERS,
            *support.ROUTE_HANDLERS,
            *privacy.ROUTE_HANDLERS,
            *alert_part.route_handlers,
            *works.ROUTE_HANDLERS,
            web_router(pages),
            *integrations.ROUTE_HANDLERS,
            metrics_endpoint,
        ],
        state=State(
            {
                "metrics": metrics or ServiceMetrics("reports", process_series=False),
                "limiter": limiter,
                "web": pages,
            }
        ),
        plugins=[tracing_plugin()],
        # Metrics outside the limits, so refused requests are counted under their status.
        middleware=[
            http_metrics().middleware,
            route_named_spans,
            RequestLimits(BodyLimits(largest_body)),
        ],
        guards=[refuse_before_body],
        dependencies={
            "service": Provide(provide_service, sync_to_thread=False),
            "work": Provide(provide_work, sync_to_thread=False),
            **core.DEPENDENCIES,
            "api_keys": Provide(provide_api_keys, sync_to_thread=False),
            **alert_part.dependencies,
            **erasure.DEPENDENCIES,
            **support.DEPENDENCIES,
            **privacy.DEPENDENCIES,
            "links": Provide(lambda: api_settings, use_cache=True, sync_to_thread=False),
            "limiter": Provide(lambda: limiter, use_cache=True, sync_to_thread=False),
            "geocoder": Provide(lambda: geocoder, use_cache=True, sync_to_thread=False),
            "photo_workers": Provide(provide_photo_workers, sync_to_thread=False),
        },
        # Backstops behind RequestLimits, which holds each route to its own, smaller limits.
        request_max_body_size=largest_body,
        multipart_form_part_limit=MAX_FIELDS,
        exception_handlers=PAGE_EXCEPTION_HANDLERS,
        lifespan=[photo_workers, lifespan],
        template_config=web_template_config(),
        # Logging is configured once by the entry point (JSON on stdout), not by Litestar.
        logging_config=None,
        openapi_config=OpenAPIConfig(
            title="Stadtmelder",
            version="0.1.0",
            path="/schema",
            components=Components(
                security_schemes={
                    BEARER_SCHEME: SecurityScheme(
                        type="http",
                        scheme="bearer",
                        bearer_format="JWT",
                        description="A staff token of the city's identity provider.",
                    )
                }
            ),
        ),
    )
