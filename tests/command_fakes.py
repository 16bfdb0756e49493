"""Kafka between two replicas' `Commands`, in memory: what the asking replica publishes reaches
the owner as JSON (as a record would) unless held, and the owner's results reach the asker."""

from dataclasses import dataclass, field

from stadtmelder_reports.commands.domain import ReportCommandDone, ReportCommandRequested
from stadtmelder_reports.commands.service import Commands
from stadtmelder_shared import topics
from stadtmelder_shared.event_envelope import Event


@dataclass
class Loopback:
    wait_seconds: float = 0.2
    hold: bool = False
    held: list[ReportCommandRequested] = field(default_factory=list)
    results: list[ReportCommandDone] = field(default_factory=list)

    def __post_init__(self) -> None:
        # The replica asked (its requests wait briefly) and the one owning the report.
        self.asker = Commands(self, wait_seconds=self.wait_seconds)
        self.owner = Commands(self)

    async def publish(self, topic: str, event: Event) -> None:
        carried = type(event).model_validate_json(event.model_dump_json())
        if topic == topics.REPORTS_COMMANDS:
            assert isinstance(carried, ReportCommandRequested)
            self.held.append(carried)
            if not self.hold:
                await self.deliver(carried)
        else:
            assert topic == topics.REPORTS_COMMAND_RESULTS
            assert isinstance(carried, ReportCommandDone)
            self.results.append(carried)
            self.asker.resolve(carried)

    async def deliver(self, command: ReportCommandRequested) -> bool:
        return await self.owner.apply(command)
