"""Wires road condition into the fleet service: its consumer, store, timers and routes."""

from stadtmelder_fleet.road.handlers import register_handlers
from stadtmelder_fleet.wiring import FleetContext
from stadtmelder_shared.sensor_readings import RoadRoughnessReading


def register(context: FleetContext) -> None:
    async def record(reading: RoadRoughnessReading) -> None:
        return None  # the road pieces' aggregation follows in road/service.py

    register_handlers(context.broker, context.settings.kafka_group_id, context.checks, record)
