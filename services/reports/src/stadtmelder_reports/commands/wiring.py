"""How the composition root adds commands: the results every replica reads, and readiness only
once this replica hears results (a request answered 202 for want of a listener helps no one)."""

import asyncio
import logging
from uuid import uuid4

from faststream.kafka import KafkaBroker

from stadtmelder_reports.commands.domain import ReportCommandDone
from stadtmelder_reports.commands.service import Commands
from stadtmelder_shared import topics
from stadtmelder_shared.health import Readiness
from stadtmelder_shared.kafka import EventPublisher, every_replica_consumer

log = logging.getLogger(__name__)
PROBE_EVERY_SECONDS = 1.0


def register(broker: KafkaBroker, publisher: EventPublisher, wait_seconds: float) -> Commands:
    commands = Commands(publisher, wait_seconds)

    @every_replica_consumer(broker, topics.REPORTS_COMMAND_RESULTS, "reports.command-results")
    async def on_command_done(done: ReportCommandDone) -> None:
        commands.resolve(done)

    return commands


async def listen(commands: Commands, publisher: EventPublisher, started: asyncio.Event) -> None:
    """Once Kafka is connected, send results of no command until one comes back: from then on
    this replica hears the results of the commands it sends (it reads from the end)."""
    await started.wait()
    while not commands.listening:
        probe = ReportCommandDone(
            report_id=f"probe-{uuid4()}", jurisdiction="", command_id=str(uuid4())
        )
        heard = commands.expect(probe.command_id)
        try:
            await publisher.publish(topics.REPORTS_COMMAND_RESULTS, probe)
            await asyncio.wait_for(heard, PROBE_EVERY_SECONDS * 5)
            commands.listening = True
            log.info("command results heard")
        except Exception as error:  # Kafka away or slow: ask again
            log.info("no command results yet (%s)", type(error).__name__)
            await asyncio.sleep(PROBE_EVERY_SECONDS)
        finally:
            commands.forget(probe.command_id)


def with_listening(readiness: Readiness, commands: Commands) -> Readiness:
    async def checks() -> dict[str, str]:
        result = await readiness()
        result["commands"] = "ok" if commands.listening else "starting"
        return result

    return checks
