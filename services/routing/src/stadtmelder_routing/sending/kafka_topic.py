"""The default send method: the department's own Kafka topic `departments.<id>.work`."""

from stadtmelder_routing.sending.methods import SendError
from stadtmelder_shared import topics
from stadtmelder_shared.departments import SendMethod
from stadtmelder_shared.kafka import EventPublisher
from stadtmelder_shared.work_item_events import WorkItemQueued


class KafkaTopicSender:
    def __init__(self, publisher: EventPublisher) -> None:
        self._publisher = publisher

    async def send(self, item: WorkItemQueued, method: SendMethod) -> str | None:
        try:
            await self._publisher.publish(topics.department_work(item.department.id), item)
        except Exception as error:
            raise SendError(f"kafka publish failed: {type(error).__name__}") from error
        return None
