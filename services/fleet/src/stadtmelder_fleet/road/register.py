"""Wires road condition into the fleet service: its consumer, store, flush timer and routes."""

from collections.abc import Sequence
from dataclasses import fields

from stadtmelder_fleet.road.announcing import AnnouncingPieceStore, RoadAnnouncer
from stadtmelder_fleet.road.api import layer_routes
from stadtmelder_fleet.road.domain import RoadRules
from stadtmelder_fleet.road.flush_pace import FlushPace
from stadtmelder_fleet.road.handlers import register_handlers
from stadtmelder_fleet.road.service import RoadService
from stadtmelder_fleet.settings import FleetSettings
from stadtmelder_fleet.staff_tokens import StaffTokens
from stadtmelder_fleet.wiring import FleetContext
from stadtmelder_shared.sensor_readings import RoadRoughnessReading


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
    pace = FlushPace(settings.road_flush_seconds)

    async def record(readings: Sequence[RoadRoughnessReading]) -> None:
        pace.batch(len(readings))
        await service.record_many(readings)

    offsets = register_handlers(context.broker, settings.kafka_group_id, context.checks, record)
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

    context.timers.every(settings.road_flush_seconds, "road-pieces-flush", lambda: pace(flush))
    context.on_startup.append(service.load)
    # What is still unsaved when the app stops is written while the consumer can commit.
    context.on_shutdown.append(flush)
    return service
