"""Kafka wiring shared by the services: a safe broker, a publisher of events, the consumers."""

import logging
from collections.abc import Callable, Mapping, Sequence
from functools import partial
from typing import Any, Protocol, TypeVar

from aiokafka import ConsumerRebalanceListener
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.coordinator.assignors.range import RangePartitionAssignor
from faststream import AckPolicy
from faststream.kafka import KafkaBroker
from faststream.security import BaseSecurity
from pydantic import BaseModel
from tenacity import AsyncRetrying, before_sleep_log, wait_exponential

from stadtmelder_shared import topics
from stadtmelder_shared.cloudevents import headers_for, subject_of
from stadtmelder_shared.consumers import DEFAULT_RETRY_POLICY, Handler, RetryPolicy, handling
from stadtmelder_shared.dead_letters import lenient_parser, raw_body
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.kafka_security import client_options
from stadtmelder_shared.partition_owner import PartitionOwnership
from stadtmelder_shared.sensor_readings import Reading
from stadtmelder_shared.settings import ConnectionSettings

log = logging.getLogger(__name__)
# How long the broker may hold an empty fetch. A record that arrives answers the fetch at once,
# so this costs no latency; it sets how often an idle consumer asks (the client's default,
# 500 ms, made ~30 idle consumers per service a third of the system's idle CPU, Kafka's
# included). It does delay a seek back after a transient failure by up to this long: the
# fetch in flight must come back first.
IDLE_FETCH_WAIT_MS = 5_000
# ... except where a request waits for the record: aiokafka leaves a partition whose records it
# just handed out out of the fetch it sends meanwhile, so the next record of that partition
# (the next command of the same report, its result) waited for that fetch's full wait: a staff
# step right after another took 5 s. Commands and their results are asked for this often.
WAITED_FOR_FETCH_WAIT_MS = 100
SHORT_LIVED_MS = 24 * 60 * 60 * 1000


def make_broker(
    bootstrap_servers: str,
    client_id: str,
    middlewares: Sequence[Any] = (),
    security: BaseSecurity | None = None,
) -> KafkaBroker:
    """A broker whose producer waits for all replicas and never writes a message twice.

    On stop, FastStream lets handlers in flight finish (up to `graceful_timeout`), each
    acknowledged record is committed as it is handled, the consumers leave their groups and
    the producer flushes what it still holds.
    """
    return KafkaBroker(
        bootstrap_servers,
        client_id=client_id,
        middlewares=middlewares,
        security=security,
        acks="all",
        enable_idempotence=True,
        request_timeout_ms=10_000,
        graceful_timeout=15.0,
        # FastStream's own logger brings a coloured handler; ours propagates to the JSON one.
        logger=logging.getLogger(f"stadtmelder.{client_id}.kafka"),
        # "Received" and "Processed" for every record: debug lines, two per record each
        # service reads. Failures are still logged as errors.
        log_level=logging.DEBUG,
    )


async def publish_event(
    broker: KafkaBroker, topic: str, event: Event | Reading, source: str
) -> None:
    """Publish `event` keyed by its report id, so one report's events stay in order (a
    reading: by who measured it)."""
    await broker.publish(
        event.model_dump(mode="json"),
        topic,
        key=subject_of(event).encode(),
        headers=headers_for(event, source),
    )


class EventPublisher(Protocol):
    """What a use case publishes its events through: `KafkaEventPublisher`, or a fake in tests."""

    async def publish(self, topic: str, event: Event) -> None: ...


class KafkaEventPublisher:
    """Publishes events as CloudEvents on behalf of one service (`source`)."""

    def __init__(self, broker: KafkaBroker, source: str) -> None:
        self._broker = broker
        self._source = source

    async def publish(self, topic: str, event: Event | Reading) -> None:
        await publish_event(self._broker, topic, event, self._source)


async def connect_when_reachable(
    broker: KafkaBroker,
    settings: ConnectionSettings | None = None,
    max_wait_seconds: float = 10.0,
) -> None:
    """Connect the broker (and create missing topics), waiting with backoff while Kafka is away."""
    async for attempt in AsyncRetrying(
        wait=wait_exponential(multiplier=0.5, max=max_wait_seconds),
        before_sleep=before_sleep_log(log, logging.WARNING),
        reraise=True,
    ):
        with attempt:
            if settings is not None and settings.kafka_create_topics:
                await ensure_topics(
                    settings.kafka_bootstrap_servers,
                    topics.service_topics(
                        tuple(d.id for d in load_directory(settings.departments_file).departments)
                    ),
                    settings.kafka_topic_partitions,
                    settings.kafka_replication_factor,
                    **client_options(settings),
                )
            await broker.connect()


async def ensure_topics(
    bootstrap_servers: str,
    names: list[str],
    partitions: int,
    replication_factor: int,
    **login: Any,
) -> None:
    """Create missing topics before consuming them.

    A consumer that subscribes before its topic exists may only see it at the next metadata
    refresh, minutes later; on Kubernetes the topics come from KafkaTopic resources instead.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, **login)
    await admin.start()
    try:
        existing = set(await admin.list_topics())
        missing = [name for name in names if name not in existing]
        if missing:
            # Errors come back per topic in the response; "already exists" means another
            # service won the race, anything else shows when consuming.
            await admin.create_topics(
                [
                    NewTopic(name, partitions, replication_factor, topic_configs=_config(name))
                    for name in missing
                ]
            )
    finally:
        await admin.close()


H = TypeVar("H", bound=Handler)


def consumer(
    broker: KafkaBroker,
    topic: str,
    service_group: str,
    workers: int = 1,
    *,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
    model: type[BaseModel] | None = None,
    listener: ConsumerRebalanceListener | None = None,
) -> Callable[[H], H]:
    """Our subscriber policy in one place, for a handler that takes its typed event:
    `async def on_report_routed(event: ReportRouted) -> None`, or its `model` when given.

    At least once: a record is committed after it was handled or dead-lettered, redelivered
    after a transient failure (see `consumers.is_transient`, plus the policy's `retried`). A
    record that is no such event, or whose handling keeps failing `policy.attempts` times, goes
    to `<topic>.dlq` (see `consumers.handling`). A new topic is read from its start, in a group
    of its own: when consumers of several topics share a group, every consumer that joins or
    leaves stalls all of them for a rebalance. With `workers` above one, the group has that
    many consumers in this process, each with partitions of its own, as replicas would: one
    partition's records (one report's) are still handled one by one, in order. A `listener`
    hears of the group's rebalances.
    """
    group = group_for(service_group, topic)
    return _subscribed(
        broker, group, policy, topic, max_workers=workers, model=model, listener=listener
    )


def every_replica_consumer(broker: KafkaBroker, topic: str, name: str) -> Callable[[H], H]:
    """`consumer` in no group: every replica reads every partition of `topic` from its end
    as it starts, committing nothing (`name` stands for the group in dead letters)."""

    def subscribe(handler: H) -> H:
        broker.subscriber(
            topic,
            auto_offset_reset="latest",
            isolation_level="read_committed",
            fetch_max_wait_ms=WAITED_FOR_FETCH_WAIT_MS,
            no_reply=True,
            parser=lenient_parser,
            decoder=raw_body,
        )(handling(handler, broker, name))
        return handler

    return subscribe


def pattern_consumer(
    broker: KafkaBroker,
    pattern: str,
    group: str,
    *,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> Callable[[H], H]:
    """`consumer` for every topic matching `pattern`; the handler may take an `Origin` second."""
    return _subscribed(broker, group, policy, pattern=pattern)


def owner_consumer(
    broker: KafkaBroker,
    models: Mapping[str, type[BaseModel]],
    group: str,
    ownership: PartitionOwnership,
    *,
    policy: RetryPolicy = DEFAULT_RETRY_POLICY,
) -> Callable[[H], H]:
    """`consumer` of several topics keyed by report id in one group (see `partition_owner`): the
    range assignor gives partition p of each to one replica, whose `ownership` says so. The
    handler takes the event of `models[topic]`, whichever topic the record came from."""
    return _subscribed(
        broker,
        group,
        policy,
        *models,
        model=models,
        partition_assignment_strategy=(RangePartitionAssignor,),
        listener=ownership,
        # The owner reads `reports.commands` here, which HTTP requests wait for.
        fetch_max_wait_ms=WAITED_FOR_FETCH_WAIT_MS,
    )


def _subscribed(
    broker: KafkaBroker,
    group: str,
    policy: RetryPolicy,
    *topic: str,
    model: type[BaseModel] | Mapping[str, type[BaseModel]] | None = None,
    **options: Any,
) -> Callable[[H], H]:
    def subscribe(handler: H) -> H:
        made = broker.subscriber(
            *topic,
            group_id=group,
            auto_offset_reset="earliest",
            # Routing publishes in Kafka transactions: an aborted one must never be read.
            isolation_level="read_committed",
            ack_policy=AckPolicy.NACK_ON_ERROR,
            # A `reply_to` header must not make us publish anywhere a sender names.
            no_reply=True,
            parser=lenient_parser,
            decoder=raw_body,
            **({"fetch_max_wait_ms": IDLE_FETCH_WAIT_MS} | options),
        )
        made(handling(handler, broker, group, policy, model))
        if isinstance(options.get("listener"), PartitionOwnership):
            options["listener"].bind(partial(_partition_count, made))
        return handler

    return subscribe


def _partition_count(subscriber: Any, topic: str) -> int | None:
    """How many partitions `topic` has, as the subscriber's (first) consumer knows; None before
    it started."""
    consumers = getattr(subscriber, "consumer_subgroup", None) or [subscriber.consumer]
    consumer = consumers[0]
    partitions = consumer.partitions_for_topic(topic) if consumer is not None else None
    return len(partitions) if partitions else None


def _config(topic: str) -> dict[str, str]:
    if topic in topics.SHORT_LIVED:
        return {"retention.ms": str(SHORT_LIVED_MS)}
    return {"cleanup.policy": "compact"} if topic in topics.COMPACTED else {}


def group_for(service_group: str, topic: str) -> str:
    """The consumer group of one service's consumer of one topic, e.g. `notify.reports.routed`."""
    return f"{service_group}.{topic}"
