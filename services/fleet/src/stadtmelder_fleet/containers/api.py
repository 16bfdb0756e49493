"""HTTP of the containers, for dispatchers and admins: a district's emptying plan for a day as
JSON, GeoJSON or CSV, and its containers' forecasts."""

import json
from collections.abc import Awaitable, Callable
from datetime import date
from typing import Any
from urllib.parse import parse_qs

from faststream.asgi import AsgiResponse, get
from faststream.asgi.handlers import GetHandler
from faststream.asgi.types import Scope

from stadtmelder_fleet.containers.domain import PlanningError
from stadtmelder_fleet.containers.exports import forecasts_json, published_plan
from stadtmelder_fleet.containers.service import ContainerService
from stadtmelder_fleet.staff_tokens import Access
from stadtmelder_shared.emptying_plans import plan_csv, plan_geojson

PLAN_PATH = "/api/v1/containers/emptying-plan"
FORECASTS_PATH = "/api/v1/containers/forecasts"
FORMATS = ("json", "geojson", "csv")
# Who may ask: the composition root passes the staff check (a bearer token's roles).
StaffCheck = Callable[[Scope], Awaitable[Access]]


def container_routes(
    service: ContainerService, is_staff: StaffCheck
) -> list[tuple[str, GetHandler]]:
    @get(description="A district's emptying plan for a day (staff only).")
    async def emptying_plan(scope: Scope) -> AsgiResponse:
        access = await is_staff(scope)
        if access != "planner":
            return _refused(access)
        query = _query(scope)
        district, fmt = query.get("district", ""), query.get("format", "json")
        try:
            day = date.fromisoformat(query.get("date", ""))
        except ValueError:
            return _error(400, "invalid", "Give the day as date=YYYY-MM-DD.", "date")
        if not district:
            return _error(
                400, "invalid", "Give the district, e.g. district=district-500.", "district"
            )
        if fmt not in FORMATS:
            return _error(400, "invalid", f"format is one of {', '.join(FORMATS)}.", "format")
        try:
            plan = await service.plan(district, day)
        except PlanningError as error:
            return _error(422, "cannot_plan", str(error))
        # The JSON names the depot too, so a map can draw each round from it and back.
        published = published_plan(plan, service.depot.location)
        if fmt == "csv":
            return AsgiResponse(
                plan_csv(published).encode(), 200, {"content-type": "text/csv; charset=utf-8"}
            )
        body = plan_geojson(published) if fmt == "geojson" else published.model_dump(mode="json")
        media = "application/geo+json" if fmt == "geojson" else "application/json"
        return AsgiResponse(json.dumps(body).encode(), 200, {"content-type": media})

    @get(description="A district's containers: last fill, pace, when full (staff only).")
    async def container_forecasts(scope: Scope) -> AsgiResponse:
        access = await is_staff(scope)
        if access != "planner":
            return _refused(access)
        district = _query(scope).get("district", "")
        try:
            containers = await service.in_district(district)
        except PlanningError as error:
            return _error(404, "not_found", str(error), "district")
        rows = forecasts_json(containers, await service.forecasts(containers))
        return AsgiResponse(json.dumps(rows).encode(), 200, {"content-type": "application/json"})

    return [(PLAN_PATH, emptying_plan), (FORECASTS_PATH, container_forecasts)]


def _query(scope: Scope) -> dict[str, str]:
    return {k: v[-1] for k, v in parse_qs(scope.get("query_string", b"").decode("latin-1")).items()}


def _refused(access: Access) -> AsgiResponse:
    if access == "not_authenticated":
        return _error(401, access, "Sign in as staff to see emptying plans.")
    return _error(403, access, "Emptying plans are for dispatchers and admins.")


def _error(status: int, code: str, detail: str, field: str | None = None) -> AsgiResponse:
    """The project's error shape: status, machine-readable code, a sentence, the fields."""
    body: dict[str, Any] = {"status_code": status, "code": code, "detail": detail}
    if field is not None:
        body["errors"] = [{"key": field, "message": detail}]
    return AsgiResponse(json.dumps(body).encode(), status, {"content-type": "application/json"})
