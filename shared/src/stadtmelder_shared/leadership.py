"""Which replica runs a scheduled job: the one that owns partition 0 in the job's consumer group.

Jobs such as the SLA watch, retention, digests or deferred mails must run in one replica at a
time, however many run. A lease document in the database cannot decide that here: FerretDB 1.24
makes no conditional update atomic, so two replicas could both win it. Kafka's group coordinator
is atomic: every replica joins the consumer group `stadtmelder-leader.<job>` on the leadership
topic, and whichever is assigned partition 0 leads. A replica that stops hands its partitions
over at once; one that is killed loses them when the broker misses its heartbeats (the session
timeout), and the next one leads. The group uses the eager protocol, so the old owner gives the
partition up before a new one gets it; only a process that is alive but stalled past its
session timeout could overlap with its successor, and then only for the job's current round.

Where the cluster has no leadership topic and the service may not create it, or its login may
not join the group (deploy/k8s/strimzi.py grants both), the job runs in every replica as before,
with an error in the log, rather than nowhere.
"""

import asyncio
import contextlib
import logging

from aiokafka import AIOKafkaConsumer, ConsumerRebalanceListener, TopicPartition
from aiokafka.errors import (
    GroupAuthorizationFailedError,
    KafkaError,
    TopicAuthorizationFailedError,
)

from stadtmelder_shared.kafka import ensure_topics
from stadtmelder_shared.kafka_security import client_options
from stadtmelder_shared.settings import ConnectionSettings

log = logging.getLogger(__name__)

LEADERSHIP_TOPIC = "stadtmelder.leadership"
# A job's group is this prefix and the job's name, `<service>.<job>`; on Kubernetes each
# service may join the groups of its own prefix (deploy/k8s/strimzi.py).
LEADER_GROUP_PREFIX = "stadtmelder-leader."
LEADING_PARTITION = 0
POLL_MS = 1000
# A topic just created shows in the metadata a moment later; a first join takes a rebalance.
TOPIC_WAIT_S = 15.0
JOIN_WAIT_S = 30.0


class _Joined(ConsumerRebalanceListener):  # type: ignore[misc]
    """Sets `done` after every rebalance, so the first answer waits for the first join."""

    def __init__(self) -> None:
        self.done = asyncio.Event()

    async def on_partitions_revoked(self, revoked: object) -> None:
        self.done.clear()

    async def on_partitions_assigned(self, assigned: object) -> None:
        self.done.set()


class LeadershipUnavailable(Exception):
    """The cluster offers no leader group for the job: every replica runs it."""


class KafkaLeadership:
    """`leads()` is true while this process owns the job's partition 0; it joins lazily."""

    def __init__(self, settings: ConnectionSettings, job: str) -> None:
        self.job = job
        self._settings = settings
        self._consumer: AIOKafkaConsumer | None = None
        self._polling: asyncio.Task[None] | None = None
        self._led = False
        self._everyone = False
        self._joined_group = _Joined()

    async def leads(self) -> bool:
        if self._everyone:
            return True
        if self._consumer is None:
            try:
                self._consumer = await self._joined()
            except LeadershipUnavailable as error:
                log.error("%s runs in every replica: %s", self.job, error)
                self._everyone = True
                return True
            except KafkaError as error:
                log.warning("%s: cannot join its leader group yet (%s)", self.job, error)
                return False
            self._polling = asyncio.create_task(self._poll(), name=f"leadership:{self.job}")
            # The job's first round waits for the group's answer instead of being skipped.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._joined_group.done.wait(), JOIN_WAIT_S)
        owned = self._consumer.assignment()
        led = TopicPartition(LEADERSHIP_TOPIC, LEADING_PARTITION) in owned
        if led != self._led:
            log.info("%s: %s", self.job, "this replica leads" if led else "another replica leads")
            self._led = led
        return led

    async def _joined(self) -> AIOKafkaConsumer:
        settings = self._settings
        login = client_options(settings)
        await ensure_topics(
            settings.kafka_bootstrap_servers,
            [LEADERSHIP_TOPIC],
            1,  # one partition: whoever is assigned it leads
            settings.kafka_replication_factor,
            **login,
        )
        consumer = AIOKafkaConsumer(
            bootstrap_servers=settings.kafka_bootstrap_servers,
            group_id=f"{LEADER_GROUP_PREFIX}{self.job}",
            enable_auto_commit=False,
            client_id=f"stadtmelder-leader-{self.job}",
            **login,
        )
        try:
            await consumer.start()
            await _topic_exists(consumer)
        except BaseException:
            await consumer.stop()
            raise
        consumer.subscribe([LEADERSHIP_TOPIC], listener=self._joined_group)
        return consumer

    async def _poll(self) -> None:
        # Polling keeps the membership (and takes part in rebalances); nobody writes records.
        assert self._consumer is not None
        while True:
            try:
                await self._consumer.getmany(timeout_ms=POLL_MS)
            except (GroupAuthorizationFailedError, TopicAuthorizationFailedError) as error:
                log.error("%s runs in every replica: %s", self.job, error)
                self._everyone = True
                return
            except KafkaError as error:
                log.warning("%s: leader group: %s", self.job, error)
                await asyncio.sleep(POLL_MS / 1000)

    async def stop(self) -> None:
        """Leave the group, so another replica leads at once."""
        if self._polling is not None:
            self._polling.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._polling
            self._polling = None
        if self._consumer is not None:
            await self._consumer.stop()
            self._consumer = None


async def _topic_exists(consumer: AIOKafkaConsumer) -> None:
    deadline = asyncio.get_running_loop().time() + TOPIC_WAIT_S
    while LEADERSHIP_TOPIC not in await consumer.topics():
        if asyncio.get_running_loop().time() > deadline:
            raise LeadershipUnavailable(f"the topic {LEADERSHIP_TOPIC} does not exist")
        await asyncio.sleep(0.5)
