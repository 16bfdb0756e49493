"""Emptying plans between reports and fleet: a dispatcher's request for a district's plan for a
day, and fleet's answer, the whole plan or why there is none; and the plan's export shapes.

Computing a plan takes seconds, so it is asked for, not read: reports publishes
`EmptyingPlanRequested` on `fleet.plan-requests`, fleet computes and publishes
`EmptyingPlanMade` or `EmptyingPlanRefused` on `fleet.emptying-plans`. All three are keyed by
the district (`report_id` `plan-<district>`), so a district's requests and plans stay in order.
"""

import csv
import io
from datetime import date, datetime
from typing import Any, ClassVar, Literal

from pydantic import Field

from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Location, Value

CSV_COLUMNS = (
    "route", "stop", "container_id", "type", "lat", "lon", "expected_fill_percent", "full_at"
)  # fmt: skip


class PlanStop(Value):
    container_id: str
    type: str
    lat: float
    lon: float
    expected_fill_percent: float | None = Field(
        description="Expected fill at the day's end; null for a container that never reported."
    )
    full_at: datetime | None


class PlanRound(Value):
    """One truck's round from the depot through its stops in order and back."""

    route: int
    distance_km: float
    load_l: int
    stops: list[PlanStop]


class FixedRound(Value):
    """Emptying every container of the district, on the same rounds' terms."""

    emptyings: int
    distance_km: float


class PlanSaving(Value):
    emptyings: int
    distance_km: float
    against: FixedRound


class EmptyingPlan(Value):
    district: str
    date: date
    emptyings: int
    distance_km: float
    saved: PlanSaving
    routes: list[PlanRound]
    depot: Location | None = None


class PlanEvent(Event):
    """What every event of a plan request names: the request, its district and day."""

    request_id: str
    district: str
    day: date


class EmptyingPlanRequested(PlanEvent):
    """A dispatcher asked for a district's plan for a day; a newer request replaces the plan."""

    type: ClassVar[str] = "org.stadtmelder.fleet.emptying-plan-requested"

    requested_by: str = Field(description="The staff member's user id.")


class EmptyingPlanMade(PlanEvent):
    type: ClassVar[str] = "org.stadtmelder.fleet.emptying-plan-made"

    caused_by: str = Field(description="event_id of the EmptyingPlanRequested.")
    plan: EmptyingPlan


class EmptyingPlanRefused(PlanEvent):
    """Fleet cannot plan what was asked, e.g. a district without known containers."""

    type: ClassVar[str] = "org.stadtmelder.fleet.emptying-plan-refused"

    caused_by: str = Field(description="event_id of the EmptyingPlanRequested.")
    code: Literal["unknown_district", "cannot_plan"]
    reason: str = Field(description="A sentence saying why, for the dispatcher.")


def plan_key(district: str) -> str:
    """The events' report_id and Kafka key for a district."""
    return f"plan-{district}"


def plan_rows(plan: EmptyingPlan) -> list[dict[str, Any]]:
    """Each stop with its round and place in it, in driving order."""
    return [
        {"route": r.route, "stop": n, **stop.model_dump(mode="json")}
        for r in plan.routes
        for n, stop in enumerate(r.stops, 1)
    ]


def plan_geojson(plan: EmptyingPlan) -> dict[str, Any]:
    """Each stop a Point feature with its route and place in it, in driving order."""
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "id": row["container_id"],
                "geometry": {"type": "Point", "coordinates": [row["lon"], row["lat"]]},
                "properties": {k: v for k, v in row.items() if k not in ("lat", "lon")},
            }
            for row in plan_rows(plan)
        ],
    }


def plan_csv(plan: EmptyingPlan) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(plan_rows(plan))
    return out.getvalue()
