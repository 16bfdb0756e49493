"""An emptying plan as the dispatcher takes it away (JSON; GeoJSON and CSV from the shared
shapes of the published plan) and a district's forecasts."""

from typing import Any

from stadtmelder_fleet.containers.domain import Container
from stadtmelder_fleet.containers.forecast import Forecast
from stadtmelder_fleet.containers.planning import DueContainer, EmptyingPlan
from stadtmelder_shared.emptying_plans import EmptyingPlan as PublishedPlan
from stadtmelder_shared.event_values import Location


def plan_json(plan: EmptyingPlan) -> dict[str, Any]:
    due = {d.container.id: d for d in plan.due}
    return {
        "district": plan.district,
        "date": plan.day.isoformat(),
        "emptyings": len(plan.due),
        "distance_km": round(plan.distance_m / 1000, 2),
        "saved": {
            "emptyings": plan.emptyings_saved,
            "distance_km": round(plan.distance_saved_m / 1000, 2),
            "against": {
                "emptyings": plan.district_containers,
                "distance_km": round(plan.fixed_round_m / 1000, 2),
            },
        },
        "routes": [
            {
                "route": n,
                "distance_km": round(route.distance_m / 1000, 2),
                "load_l": route.load_l,
                "stops": [_stop(due[stop.container.id]) for stop in route.stops],
            }
            for n, route in enumerate(plan.routes, 1)
        ],
    }


def forecasts_json(
    containers: list[Container], forecasts: dict[str, Forecast]
) -> list[dict[str, Any]]:
    """Each container with its last fill, its pace and when it will be full (null: unknown)."""
    rows = []
    for container in containers:
        found = forecasts.get(container.id)
        full_at = None if found is None else found.full_at
        rows.append(
            {
                "container_id": container.id,
                "type": container.type,
                "lat": container.location.lat,
                "lon": container.location.lon,
                "fill_percent": None if found is None else found.last_fill_percent,
                "measured_at": None if found is None else found.last_measured_at.isoformat(),
                "percent_per_day": None if found is None else found.rate_per_day,
                "full_at": None if full_at is None else full_at.isoformat(),
            }
        )
    return rows


def published_plan(plan: EmptyingPlan, depot: Location) -> PublishedPlan:
    """The plan as the event and the exports carry it, with the depot its rounds start from."""
    return PublishedPlan.model_validate({**plan_json(plan), "depot": depot.model_dump()})


def _stop(due: DueContainer) -> dict[str, Any]:
    fill = due.expected_fill_percent
    return {
        "container_id": due.container.id,
        "type": due.container.type,
        "lat": due.container.location.lat,
        "lon": due.container.location.lon,
        "expected_fill_percent": None if fill is None else round(fill, 1),
        "full_at": None if due.full_at is None else due.full_at.isoformat(),
    }
