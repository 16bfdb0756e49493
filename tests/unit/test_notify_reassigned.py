"""Notify forgets what it kept of reports' followers and channels whenever its consumers are
assigned partitions: a report whose partition moved to another replica and back may have been
written there meanwhile."""

from aiokafka import TopicPartition
from faststream.kafka import KafkaBroker
from faststream.kafka.subscriber.usecase import LogicSubscriber

from stadtmelder_notify.core.handlers import register_handlers
from stadtmelder_notify.fresh import Fresh
from stadtmelder_shared import topics
from stadtmelder_shared.partition_owner import Reassigned
from tests.integration.poison import Recorder


async def test_an_assignment_forgets_every_kept_follower_and_channel() -> None:
    followers, channels = Fresh[str](60.0), Fresh[str](60.0)
    followers.put("ABCDE-00001", "the reporter")
    channels.put("ABCDE-00001", "an app")
    reassigned = Reassigned(followers.clear, channels.clear)

    await reassigned.on_partitions_revoked({TopicPartition(topics.REPORTS_ROUTED, 0)})
    assert followers.get("ABCDE-00001") == "the reporter"  # nothing moved yet
    await reassigned.on_partitions_assigned({TopicPartition(topics.REPORTS_ROUTED, 1)})

    assert followers.get("ABCDE-00001") is None
    assert channels.get("ABCDE-00001") is None


def test_every_consumer_of_a_reports_steps_hears_of_its_assignments() -> None:
    broker = KafkaBroker()
    reassigned = Reassigned()
    register_handlers(broker, Recorder(), Recorder(), "notify", reassigned)  # type: ignore[arg-type]

    heard = {
        topic: subscriber._listener
        for subscriber in broker.subscribers
        if isinstance(subscriber, LogicSubscriber)
        for topic in subscriber.topic_names
    }

    # Every consumer of a report's steps, from its submission to a browser's subscription.
    assert {topics.REPORTS_SUBMITTED, topics.REPORTS_ROUTED, topics.PUSH_SUBSCRIPTIONS} <= set(
        heard
    )
    assert len(heard) == 8
    assert all(listener is reassigned for listener in heard.values())
