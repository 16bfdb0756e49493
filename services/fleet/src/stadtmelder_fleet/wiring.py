"""What the composition root hands each feature package's `register(...)`: the clients, the
reading checks, the clock, and the lists a feature adds its routes and lifecycle steps to."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from faststream.asgi.handlers import GetHandler
from faststream.kafka import KafkaBroker
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_fleet.city import Clock
from stadtmelder_fleet.readings import ReadingChecks
from stadtmelder_fleet.settings import FleetSettings
from stadtmelder_shared.kafka import KafkaEventPublisher
from stadtmelder_shared.metrics import ServiceMetrics
from stadtmelder_shared.timers import Timers

Step = Callable[[], Awaitable[None]]


@dataclass
class FleetContext:
    settings: FleetSettings
    broker: KafkaBroker
    database: AsyncDatabase[dict[str, Any]]
    publisher: KafkaEventPublisher
    metrics: ServiceMetrics
    timers: Timers
    checks: ReadingChecks
    clock: Clock
    # Features add to these; the composition root serves and runs them.
    routes: list[tuple[str, GetHandler]] = field(default_factory=list)
    on_startup: list[Step] = field(default_factory=list)
    on_shutdown: list[Step] = field(default_factory=list)
