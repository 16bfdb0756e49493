"""Wires the containers into the fleet service: store, service, consumers (readings, plan
requests) and the plan's route."""

from stadtmelder_fleet.containers.api import container_routes
from stadtmelder_fleet.containers.handlers import register_handlers
from stadtmelder_fleet.containers.plan_requests import register_plan_requests
from stadtmelder_fleet.containers.planning import Depot
from stadtmelder_fleet.containers.service import ContainerService
from stadtmelder_fleet.containers.store import MongoContainerStore
from stadtmelder_fleet.staff_tokens import StaffTokens
from stadtmelder_fleet.wiring import FleetContext
from stadtmelder_shared.event_values import Location


def register(context: FleetContext) -> None:
    settings = context.settings
    service = ContainerService(
        MongoContainerStore(context.database),
        Depot(
            Location(lat=settings.depot_lat, lon=settings.depot_lon),
            settings.truck_capacity_l,
        ),
        settings.plan_solver_seconds,
        settings.timezone,
    )
    register_handlers(service, context.broker, context.checks, settings.kafka_group_id)
    register_plan_requests(context.broker, settings.kafka_group_id, service, context.publisher)
    staff = StaffTokens(
        settings.staff_jwks_url,
        settings.staff_signing_key_file,
        settings.staff_issuer,
        settings.staff_audience,
    )
    context.routes.extend(container_routes(service, staff))
    context.on_startup.append(service.load)
