"""The fleet's pages: the dispatcher's emptying plan and the road condition layer for staff
(under /staff, behind its session cookie), and the public road condition map.

Fleet owns the plans and the layers; these pages show its read API's answers, asked with the
signed-in staff member's token, and say so plainly when fleet cannot be asked.
"""

import asyncio
import logging
import re
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from jinja2.utils import htmlsafe_json_dumps
from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.params import QueryParameter
from litestar.response import Template
from markupsafe import Markup

from stadtmelder_reports.alerts.domain import District
from stadtmelder_reports.alerts.store import load_districts
from stadtmelder_reports.errors import NotAllowed
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
from stadtmelder_reports.web.staff_pages import SESSION_COOKIE, signed_in
from stadtmelder_reports.web.texts import N_, Words

log = logging.getLogger(__name__)
CITY_TIME = ZoneInfo("Europe/Berlin")
# How long the public page shows the layer it last read before asking fleet again.
PUBLIC_LAYER_FRESH_S = 30.0
# Each download by its format's usual name.
PLAN_FORMATS = {"json": "JSON", "geojson": "GeoJSON", "csv": "CSV"}
LAYER_FORMATS = {"geojson": "GeoJSON", "csv": "CSV"}
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


class Problem(Exception):
    """What a page says instead of fleet's answer: a text key, its reason and the status."""

    def __init__(self, status: int, key: str, reason: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.key = key


async def ask_fleet(
    fleet: FleetReader | None, path: str, params: dict[str, str], token: str | None = None
) -> FleetAnswer:
    if fleet is None:
        raise FleetUnavailable("no fleet base URL is configured (REPORTS_FLEET_BASE_URL)")
    return await fleet.get(path, params, token)


async def fleet_answer(
    fleet: FleetReader | None, path: str, params: dict[str, str], token: str | None = None
) -> FleetAnswer:
    """Fleet's answer when it is the one asked for; a Problem with fleet's reason if not."""
    answer = await ask_fleet(fleet, path, params, token)
    if not answer.ok:
        # Fleet's sentence, e.g. that no containers are known in the district.
        raise Problem(answer.status, N_("fleet_refused"), answer.detail)
    return answer


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


async def shown(
    request: AnyRequest,
    template: str,
    context: dict[str, Any],
    read: Callable[[Words], Awaitable[dict[str, Any]]],
    private: bool = True,
) -> Template:
    """The page with what `read` took from fleet, or with why there is nothing: never a 500."""
    t = Words(choose_language(request))
    context |= {"problem": None, **figures(t)}
    status = 200
    try:
        context |= await read(t)
    except Problem as problem:
        context["problem"], status = t(problem.key, reason=str(problem)), problem.status
    except (FleetUnavailable, KeyError, TypeError, ValueError) as error:
        log.warning("the fleet service could not be asked: %s", error)
        context["problem"], status = t("fleet_unavailable"), 503
    return page(request, template, status, private=private, **context)


async def road_layer(
    fleet: FleetReader | None, path: str, t: Words, token: str | None = None
) -> dict[str, Any]:
    answer = await fleet_answer(fleet, path, {"format": "geojson"}, token)
    # A city's layer is thousands of pieces, megabytes: read and drawn off the event loop.
    return await asyncio.to_thread(layer_views, answer, t)


def layer_views(answer: FleetAnswer, t: Words) -> dict[str, Any]:
    pieces = road_pieces(answer.json())
    return {
        "pieces": worst_first(pieces),
        "total": len(pieces),
        "counts": condition_counts(pieces),
        "map": map_data(road_map(pieces, t)),
    }


def map_data(layers: dict[str, Any]) -> Markup:
    """The map script's data, made safe for a <script> element as Jinja's `tojson` would."""
    return htmlsafe_json_dumps(layers)


class FleetStaffPages(Controller):
    """Part of the staff router, behind its sign-in; needs the dependency `fleet`."""

    include_in_schema = False

    @get("/emptying-plan")
    async def emptying_plan(
        self, request: AnyRequest, fleet: Fleet, district: DistrictQuery = "", day: DayQuery = ""
    ) -> Template:
        member = await planner(request)
        chosen = _day(day)
        query = {"district": district, "date": (chosen or today()).isoformat()}
        context = {"member": member, "districts": known_districts(), **query, "plan": None}
        context["district_name"] = next(
            (d.name for d in known_districts() if d.id == district), district
        )

        async def read(t: Words) -> dict[str, Any]:
            if day and chosen is None:
                raise Problem(400, N_("plan_bad_date"))
            if not district:
                return {}
            answer = await fleet_answer(fleet, PLAN_PATH, query, _token(request))
            plan = plan_view(answer.json())
            exports = [(name, _link("emptying-plan", query, f)) for f, name in PLAN_FORMATS.items()]
            return {"plan": plan, "map": map_data(plan_map(plan, t)), "exports": exports}

        return await shown(request, "staff_emptying_plan.html.j2", context, read)

    @get("/road-conditions")
    async def road_conditions(self, request: AnyRequest, fleet: Fleet) -> Template:
        member = await planner(request)

        async def read(t: Words) -> dict[str, Any]:
            exports = [(name, _link("road-conditions", {}, f)) for f, name in LAYER_FORMATS.items()]
            return {
                **await road_layer(fleet, STAFF_LAYER_PATH, t, _token(request)),
                "exports": exports,
            }

        context = {"member": member, "pieces": [], "counts": []}
        return await shown(request, "staff_road_conditions.html.j2", context, read)

    @get(["/emptying-plan/export", "/road-conditions/export"])
    async def export(
        self,
        request: AnyRequest,
        fleet: Fleet,
        district: DistrictQuery = "",
        day: DayQuery = "",
        wanted: FormatQuery = "",
    ) -> Response[Any]:
        """Fleet's plan or layer handed on as a file; its refusals as they are."""
        await planner(request)
        if request.url.path.endswith("/emptying-plan/export"):
            path, name = PLAN_PATH, UNSAFE_IN_NAME.sub("", f"emptying-plan-{district}-{day}")
            query = {"district": district, "date": day, "format": wanted or "json"}
        else:
            path, name = STAFF_LAYER_PATH, "road-conditions"
            query = {"format": wanted or "geojson"}
        try:
            answer = await ask_fleet(fleet, path, query, _token(request))
        except FleetUnavailable as error:
            log.warning("the fleet service could not be asked: %s", error)
            return error_response(
                503, "fleet_unavailable", "The fleet service cannot be asked now."
            )
        headers = {"cache-control": "no-store"}
        if answer.ok:
            extension = UNSAFE_IN_NAME.sub("", query["format"])
            headers["content-disposition"] = f'attachment; filename="{name}.{extension}"'
        return Response(
            answer.body, status_code=answer.status, media_type=answer.content_type, headers=headers
        )


class RoadConditionsPage(Controller):
    """The public map of the roads' condition classes; needs the dependency `fleet`."""

    include_in_schema = False

    @get("/road-conditions")
    async def road_conditions(self, request: AnyRequest, fleet: Fleet) -> Template:
        async def read(t: Words) -> dict[str, Any]:
            # Everyone sees the same layer: read from fleet and drawn once in a while, not
            # for every visitor.
            cache: dict[str, tuple[float, dict[str, Any]]] = request.app.state.setdefault(
                "public_road_layer", {}
            )
            kept = cache.get(t.language)
            if kept is not None and kept[0] > time.monotonic():
                return kept[1]
            layer = await road_layer(fleet, PUBLIC_LAYER_PATH, t)
            cache[t.language] = (time.monotonic() + PUBLIC_LAYER_FRESH_S, layer)
            return layer

        return await shown(request, "road_conditions.html.j2", {"counts": []}, read, private=False)


def today() -> date:
    return datetime.now(CITY_TIME).date()


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _token(request: AnyRequest) -> str | None:
    return request.cookies.get(SESSION_COOKIE)


def _link(page_path: str, query: dict[str, str], fmt: str) -> str:
    return f"/staff/{page_path}/export?{urlencode({**query, 'format': fmt})}"
