"""The fleet's pages: the dispatcher's emptying plan and the road condition layer for staff
(under /staff, behind its session cookie), and the public road condition map.

Fleet owns the plans and the layers; these pages show its read API's answers, asked with the
signed-in staff member's token, and say so plainly when fleet cannot be asked.
"""

import logging
import re
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.alerts.domain import District
from stadtmelder_reports.alerts.store import load_districts
from stadtmelder_reports.errors import NotAllowed, NotAuthenticated
from stadtmelder_reports.fleet_pages.reader import (
    PLAN_PATH,
    PUBLIC_LAYER_PATH,
    STAFF_LAYER_PATH,
    FleetAnswer,
    FleetReader,
    FleetUnavailable,
)
from stadtmelder_reports.fleet_pages.views import (
    condition_counts,
    container_type,
    number,
    plan_map,
    plan_view,
    road_map,
    road_pieces,
    worst_first,
)
from stadtmelder_reports.http.errors import error_response
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.web.rendering import choose_language, page
from stadtmelder_reports.web.staff_pages import (
    SESSION_COOKIE,
    on_not_allowed,
    on_not_authenticated,
    signed_in,
)
from stadtmelder_reports.web.texts import Words

log = logging.getLogger(__name__)
CITY_TIME = ZoneInfo("Europe/Berlin")
PLAN_FORMATS = ("json", "geojson", "csv")
LAYER_FORMATS = ("geojson", "csv")
# What a download's file name may hold of a district's id.
UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9_-]+")
DayQuery = Annotated[str, QueryParameter(name="date", required=False, max_length=20)]
DistrictQuery = Annotated[str, QueryParameter(name="district", required=False, max_length=100)]
# None when no fleet base URL is configured: the pages say fleet cannot be asked.
Fleet = NamedDependency[FleetReader | None]
FormatQuery = Annotated[str, QueryParameter(name="format", required=False, max_length=20)]


async def planner(request: AnyRequest) -> StaffMember:
    """A signed-in dispatcher or admin: planning rounds and repairs is theirs, as fleet decides."""
    member = await signed_in(request)
    if not member.has("dispatcher", "admin"):
        raise NotAllowed("Emptying plans and the road layer are for dispatchers and admins.")
    return member


async def ask_fleet(
    fleet: FleetReader | None, path: str, params: dict[str, str], token: str | None = None
) -> FleetAnswer:
    if fleet is None:
        raise FleetUnavailable("no fleet base URL is configured (REPORTS_FLEET_BASE_URL)")
    return await fleet.get(path, params, token)


@cache
def known_districts() -> tuple[District, ...]:
    """The jurisdiction's districts, read on first use: the plan form offers them."""
    return load_districts()


def figures(t: Words) -> dict[str, Any]:
    """How the templates write figures and container types in the page's language."""
    return {
        "num": lambda value, digits=1: number(t.language, value, digits),
        "kind": lambda kind: container_type(t, kind),
    }


def unavailable(error: Exception) -> None:
    log.warning("the fleet service could not be asked: %s", error)


class FleetStaffPages(Controller):
    """Part of the staff router; needs the dependency `fleet`."""

    include_in_schema = False
    exception_handlers: ExceptionHandlersMap = {  # noqa: RUF012 (read by Litestar)
        NotAuthenticated: on_not_authenticated,
        NotAllowed: on_not_allowed,
    }

    @get("/emptying-plan")
    async def emptying_plan(
        self,
        request: AnyRequest,
        fleet: Fleet,
        district: DistrictQuery = "",
        day: DayQuery = "",
    ) -> Template:
        member = await planner(request)
        t = Words(choose_language(request))
        chosen = _day(day)
        context: dict[str, Any] = {
            "member": member,
            "districts": known_districts(),
            "district": district,
            "day": (chosen or datetime.now(CITY_TIME).date()).isoformat(),
            "plan": None,
            "problem": None,
            "exports": [],
            "plan_district_name": next(
                (d.name for d in known_districts() if d.id == district), district
            ),
            **figures(t),
        }
        status = 200
        if day and chosen is None:
            context["problem"], status = t("plan_bad_date"), 400
        elif district:
            query = {"district": district, "date": context["day"]}
            try:
                answer = await ask_fleet(fleet, PLAN_PATH, query, _token(request))
                if answer.ok:
                    context["plan"] = plan_view(answer.json())
                    context["map"] = plan_map(context["plan"], t)
                    context["exports"] = [
                        (f, _link("emptying-plan", query, f)) for f in PLAN_FORMATS
                    ]
                else:
                    context["problem"] = t("plan_cannot", reason=answer.detail)
                    status = answer.status
            except (FleetUnavailable, KeyError, TypeError, ValueError) as error:
                unavailable(error)
                context["problem"], status = t("fleet_unavailable"), 503
        return page(request, "staff_emptying_plan.html.j2", status, private=True, **context)

    @get("/emptying-plan/export")
    async def emptying_plan_export(
        self,
        request: AnyRequest,
        fleet: Fleet,
        district: DistrictQuery = "",
        day: DayQuery = "",
        wanted: FormatQuery = "json",
    ) -> Response[Any]:
        await planner(request)
        query = {"district": district, "date": day, "format": wanted}
        name = f"emptying-plan-{UNSAFE_IN_NAME.sub('', district)}-{_day(day) or ''}"
        return await _download(fleet, PLAN_PATH, query, _token(request), name)

    @get("/road-conditions")
    async def road_conditions(self, request: AnyRequest, fleet: Fleet) -> Template:
        member = await planner(request)
        t = Words(choose_language(request))
        context: dict[str, Any] = {"member": member, "pieces": [], "counts": [], **figures(t)}
        status = 200
        try:
            answer = await ask_fleet(
                fleet, STAFF_LAYER_PATH, {"format": "geojson"}, _token(request)
            )
            if not answer.ok:
                raise FleetUnavailable(f"fleet refused the staff layer: {answer.status}")
            pieces = road_pieces(answer.json())
            context |= {
                "pieces": worst_first(pieces),
                "total": len(pieces),
                "counts": condition_counts(pieces),
                "map": road_map(pieces, t),
                "exports": [(f, _link("road-conditions", {}, f)) for f in LAYER_FORMATS],
            }
        except (FleetUnavailable, KeyError, TypeError, ValueError) as error:
            unavailable(error)
            context["problem"], status = t("fleet_unavailable"), 503
        return page(request, "staff_road_conditions.html.j2", status, private=True, **context)

    @get("/road-conditions/export")
    async def road_conditions_export(
        self,
        request: AnyRequest,
        fleet: Fleet,
        wanted: FormatQuery = "geojson",
    ) -> Response[Any]:
        await planner(request)
        return await _download(
            fleet, STAFF_LAYER_PATH, {"format": wanted}, _token(request), "road-conditions"
        )


class RoadConditionsPage(Controller):
    """The public map of the roads' condition classes; needs the dependency `fleet`."""

    include_in_schema = False

    @get("/road-conditions")
    async def road_conditions(self, request: AnyRequest, fleet: Fleet) -> Template:
        t = Words(choose_language(request))
        context: dict[str, Any] = {"counts": [], "problem": None}
        status = 200
        try:
            answer = await ask_fleet(fleet, PUBLIC_LAYER_PATH, {})
            if not answer.ok:
                raise FleetUnavailable(f"fleet answered {answer.status} for the public layer")
            pieces = road_pieces(answer.json())
            context |= {"counts": condition_counts(pieces), "map": road_map(pieces, t)}
            context["total"] = len(pieces)
        except (FleetUnavailable, KeyError, TypeError, ValueError) as error:
            unavailable(error)
            context["problem"], status = t("fleet_unavailable"), 503
        return page(request, "road_conditions.html.j2", status, **context)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _token(request: AnyRequest) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def _link(page_path: str, query: dict[str, str], fmt: str) -> str:
    return f"/staff/{page_path}/export?{urlencode({**query, 'format': fmt})}"


async def _download(
    fleet: FleetReader | None, path: str, query: dict[str, str], token: str | None, name: str
) -> Response[Any]:
    """Fleet's answer handed on as a file; its refusals as they are (the project's error shape)."""
    try:
        answer = await ask_fleet(fleet, path, query, token)
    except FleetUnavailable as error:
        unavailable(error)
        return error_response(503, "fleet_unavailable", "The fleet service cannot be asked now.")
    headers = {"cache-control": "no-store"}
    if answer.ok:
        extension = query.get("format", "json")
        headers["content-disposition"] = f'attachment; filename="{name}.{extension}"'
    return Response(
        answer.body, status_code=answer.status, media_type=answer.content_type, headers=headers
    )
