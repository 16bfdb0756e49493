"""Prometheus metrics of one service: its registry, Stadtmelder's series, the `/metrics` route."""

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from faststream.asgi import AsgiResponse, get
from faststream.asgi.handlers import GetHandler
from faststream.asgi.types import Scope
from faststream.kafka import KafkaBroker
from faststream.kafka.prometheus import KafkaPrometheusMiddleware
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    GCCollector,
    PlatformCollector,
    ProcessCollector,
    generate_latest,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

# The classic text format, which Prometheus 2 and 3 and every agent read.
CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4

log = logging.getLogger(__name__)

Refresh = Callable[[], Awaitable[None]]
# A scrape waits this long at most for the values read at scrape time (lag, backlog, overdue).
REFRESH_TIMEOUT_SECONDS = 5.0


class ServiceMetrics:
    """The series of one service, in a registry of its own so two apps in one test never clash.

    Labels stay bounded: topics, channels, send methods and departments come from configuration;
    report ids, addresses and raw paths never become labels.
    """

    def __init__(self, service: str, *, process_series: bool = True) -> None:
        """`process_series=False` where the process registry already has them (Litestar's)."""
        self.service = service
        self.registry = CollectorRegistry()
        if process_series:
            ProcessCollector(registry=self.registry)
            PlatformCollector(registry=self.registry)
            GCCollector(registry=self.registry)
        self.consumer_lag = Gauge(
            "stadtmelder_consumer_lag",
            "Records on a topic this service's consumer has not read yet, summed over the "
            "partitions assigned to this replica.",
            ["topic"],
            registry=self.registry,
        )
        self.notifications = Counter(
            "stadtmelder_notifications",
            "Messages to people (reporters, supporters, subscribers, leads) by channel and "
            "outcome: sent or failed (a failed attempt is retried or dead-lettered).",
            ["channel", "outcome"],
            registry=self.registry,
        )
        self.department_sends = Counter(
            "stadtmelder_department_sends",
            "Work items handed to a department by send method and outcome: sent or failed.",
            ["method", "outcome"],
            registry=self.registry,
        )
        self.outbox_backlog = Gauge(
            "stadtmelder_outbox_backlog",
            "Events written to an outbox (`reports`) but not yet published to Kafka.",
            ["outbox"],
            registry=self.registry,
        )
        self.sla_overdue = Gauge(
            "stadtmelder_sla_overdue_work_items",
            "Open work items past their due date, by department.",
            ["department"],
            registry=self.registry,
        )
        self.dead_letters = Counter(
            "stadtmelder_dead_letters",
            "Records a consumer could not handle and put on `<topic>.dlq`, by the topic they "
            "came from and why: bad_headers, invalid, unsupported_version, rejected (a change "
            "that can never apply) or handler_failed (failed on every attempt).",
            ["service", "topic", "reason"],
            registry=self.registry,
        )
        self._refreshers: list[Refresh] = []

    def kafka_middleware(self) -> KafkaPrometheusMiddleware:
        """FastStream's own series: `faststream_received_processed_messages_total` by topic
        (`handler`) and status, processing durations, published messages by destination; and
        through it, the consumer wiring counts dead letters in `dead_letters`."""
        return _KafkaMetrics(self)

    def count_dead_letter(self, topic: str, kind: str) -> None:
        self.dead_letters.labels(service=self.service, topic=topic, reason=kind).inc()

    def refresh_at_scrape(self, refresh: Refresh) -> None:
        """Values that live elsewhere (Kafka, MongoDB) are read when Prometheus asks."""
        self._refreshers.append(refresh)

    def watch_consumer_lag(self, broker: KafkaBroker) -> None:
        self.refresh_at_scrape(lambda: self._read_consumer_lag(broker))

    async def exposition(self) -> bytes:
        """The text format of every series, after reading the values kept elsewhere."""
        for refresh in self._refreshers:
            try:
                await asyncio.wait_for(refresh(), REFRESH_TIMEOUT_SECONDS)
            except Exception:
                # A scrape still answers with the other series; the stale value stays.
                log.warning("a metric could not be read at scrape time", exc_info=True)
        return generate_latest(self.registry)

    async def _read_consumer_lag(self, broker: KafkaBroker) -> None:
        lag: dict[str, int] = {}
        for subscriber in broker.subscribers:
            # A subscriber with several workers has one consumer per worker.
            consumers: list[Any] = getattr(subscriber, "consumer_subgroup", None) or [
                getattr(subscriber, "consumer", None)
            ]
            for consumer in consumers:
                if consumer is not None:
                    await _add_lag(consumer, lag)
        self.consumer_lag.clear()
        for topic, value in lag.items():
            self.consumer_lag.labels(topic=topic).set(value)


class _KafkaMetrics(KafkaPrometheusMiddleware):
    """FastStream's middleware, found by the consumer wiring among the broker's middlewares
    (see `dead_letters.DeadLetterCounter`): so every broker of a service counts its dead
    letters, without each app remembering to connect the two."""

    def __init__(self, metrics: ServiceMetrics) -> None:
        super().__init__(registry=metrics.registry, app_name=metrics.service)
        self._metrics = metrics

    def count_dead_letter(self, topic: str, kind: str) -> None:
        self._metrics.count_dead_letter(topic, kind)


async def _add_lag(consumer: Any, lag: dict[str, int]) -> None:
    for partition in consumer.assignment():
        end = consumer.highwater(partition)
        if end is None:  # nothing fetched from this partition yet
            continue
        position = await consumer.position(partition)
        lag[partition.topic] = lag.get(partition.topic, 0) + max(end - position, 0)


def metrics_route(metrics: ServiceMetrics) -> tuple[str, GetHandler]:
    """`/metrics` for a FastStream ASGI app."""

    @get(include_in_schema=False)
    async def exposition(scope: Scope) -> AsgiResponse:
        return AsgiResponse(await metrics.exposition(), 200, headers={"content-type": CONTENT_TYPE})

    return ("/metrics", exposition)


class CountedSends:
    """Wraps anything with an async `send` (a mailer, a department sender) and counts each
    call on `counter` with `labels` plus `outcome`: sent, or failed when it raised."""

    def __init__(self, target: Any, counter: Counter, **labels: str) -> None:
        self._target = target
        self._sent = counter.labels(**labels, outcome="sent")
        self._failed = counter.labels(**labels, outcome="failed")

    async def send(self, *args: Any, **kwargs: Any) -> Any:
        try:
            result = await self._target.send(*args, **kwargs)
        except Exception:
            self._failed.inc()
            raise
        self._sent.inc()
        return result
