"""Wires road condition into the fleet service: its consumer, store, flush timer and routes."""

import time
from collections.abc import Awaitable, Callable
from dataclasses import fields

from stadtmelder_fleet.road.announcing import AnnouncingPieceStore, RoadAnnouncer
from stadtmelder_fleet.road.api import layer_routes
from stadtmelder_fleet.road.domain import RoadRules
from stadtmelder_fleet.road.handlers import register_handlers
from stadtmelder_fleet.road.service import RoadService
from stadtmelder_fleet.settings import FleetSettings
from stadtmelder_fleet.staff_tokens import StaffTokens
from stadtmelder_fleet.wiring import FleetContext


def rules_from(settings: FleetSettings) -> RoadRules:
    return RoadRules(
        **{rule.name: getattr(settings, f"road_{rule.name}") for rule in fields(RoadRules)}
    )


def register(context: FleetContext) -> RoadService:
    settings = context.settings
    rules = rules_from(settings)
    service = RoadService(
        AnnouncingPieceStore(
            context.database,
            RoadAnnouncer(context.publisher, rules, settings.jurisdiction, context.clock),
        ),
        context.publisher,
        rules,
        settings.jurisdiction,
        context.clock,
        max_pieces=settings.road_max_pieces,
    )
    offsets = register_handlers(
        context.broker, settings.kafka_group_id, context.checks, service.record_many
    )
    # The same staff check as the emptying plans: dispatchers and admins plan road repairs too.
    staff = StaffTokens(
        settings.staff_jwks_url,
        settings.staff_signing_key_file,
        settings.staff_issuer,
        settings.staff_audience,
    )
    context.routes.extend(layer_routes(service.all_pieces, rules, context.clock, staff))

    async def flush() -> None:
        # Offsets taken before the save and committed after it: a crash in between reads those
        # readings again, and a reading counted once counts once.
        handled = offsets.taken()
        await service.flush()
        await offsets.commit(handled)

    pace = FlushPace(settings.road_flush_seconds)
    context.timers.every(settings.road_flush_seconds, "road-pieces-flush", lambda: pace(flush))
    context.on_startup.append(service.load)
    # What is still unsaved when the app stops is written while the consumer can commit.
    context.on_shutdown.append(flush)
    return service


class FlushPace:
    """Flushes every interval, but spends at most `share` of the time flushing: catching up on
    a backlog, a flush writes nearly every piece in memory (FerretDB: about 1 ms each), and
    the readings since are worked off in memory meanwhile, so a later flush writes each piece
    once for more of them."""

    def __init__(
        self, interval_s: float, share: float = 0.2, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._interval_s, self._share, self._clock = interval_s, share, clock
        self._due = 0.0

    async def __call__(self, flush: Callable[[], Awaitable[None]]) -> None:
        began = self._clock()
        if began < self._due:
            return
        await flush()
        took = self._clock() - began
        # Less a little: a timer tick that comes a moment early must not skip a whole interval.
        self._due = began + max(self._interval_s, took / self._share) - self._interval_s / 2
