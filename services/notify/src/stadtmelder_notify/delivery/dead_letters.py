"""Messages notify gave up on go to `<topic>.dlq` with the reason, for operators to look at."""

from faststream.kafka import KafkaBroker

from stadtmelder_shared import topics
from stadtmelder_shared.cloudevents import headers_for
from stadtmelder_shared.event_envelope import Event

REASON_LIMIT = 500


class KafkaDeadLetters:
    """Publishes the event as it came, keyed by its report, with `dlq_*` headers."""

    def __init__(self, broker: KafkaBroker, source: str) -> None:
        self._broker = broker
        self._source = source

    async def put(self, topic: str, event: Event, reason: str) -> None:
        headers = headers_for(event, self._source)
        headers.update({"dlq_reason": reason[:REASON_LIMIT], "dlq_topic": topic})
        await self._broker.publish(
            event.model_dump(mode="json"),
            topics.dead_letter(topic),
            key=event.report_id.encode(),
            headers=headers,
        )
