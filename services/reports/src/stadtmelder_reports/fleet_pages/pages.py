"""The fleet's pages: the dispatcher's emptying plan and the road condition layer for staff
(under /staff, behind its session cookie), and the public road condition map.

They show what reports keeps of fleet's announcements; a plan nobody asked for yet is asked of
fleet, and the page looks again by itself until fleet's answer is there.
"""

import asyncio
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from typing import Annotated, Any
from urllib.parse import urlencode

from jinja2.utils import htmlsafe_json_dumps
from litestar import Controller, Response, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import QueryParameter
from litestar.response import Redirect, Template
from markupsafe import Markup

from stadtmelder_reports.alerts.domain import District
from stadtmelder_reports.alerts.store import load_districts
from stadtmelder_reports.city_clock import CITY_TIME
from stadtmelder_reports.errors import NotAllowed
from stadtmelder_reports.fleet_pages.domain import REFRESH_SECONDS, FleetUnreachable, PlanShown
from stadtmelder_reports.fleet_pages.exports import PLAN_MEDIA, layer_file, plan_file
from stadtmelder_reports.fleet_pages.service import FleetViews
from stadtmelder_reports.fleet_pages.views import (
    condition_counts,
    container_type,
    number,
    plan_map,
    plan_view,
    road_map,
    road_piece,
    worst_first,
)
from stadtmelder_reports.http.errors import error_response
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.web.error_pages import PAGES, wants_page
from stadtmelder_reports.web.rendering import choose_language, page, see_other
from stadtmelder_reports.web.staff_pages import signed_in
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.road_conditions import RoadPieceCondition
from stadtmelder_shared.translations import N_

# How long the public page shows the layer it last drew before reading it again.
PUBLIC_LAYER_FRESH_S = 30.0
# Each download by its format's usual name.
PLAN_FORMATS = {"json": "JSON", "geojson": "GeoJSON", "csv": "CSV"}
LAYER_FORMATS = {"geojson": "GeoJSON", "csv": "CSV"}
# What a download's file name may hold of a district's id.
UNSAFE_IN_NAME = re.compile(r"[^A-Za-z0-9_-]+")
DayQuery = Annotated[str, QueryParameter(name="date", required=False, max_length=20)]
DistrictQuery = Annotated[str, QueryParameter(name="district", required=False, max_length=100)]
FormatQuery = Annotated[str, QueryParameter(name="format", required=False, max_length=20)]


def provide_fleet_views(state: State) -> FleetViews:
    views: FleetViews = state.fleet_views
    return views


@dataclass(frozen=True)
class PlanChoice:
    """The district and day a plan page or download is about, as the query names them."""

    district: str
    day_text: str

    @property
    def day(self) -> date | None:
        try:
            return date.fromisoformat(self.day_text)
        except ValueError:
            return None

    def query(self) -> dict[str, str]:
        """The page's query: the day chosen, or today."""
        return {"district": self.district, "date": (self.day or today()).isoformat()}


def plan_choice(district: DistrictQuery = "", day: DayQuery = "") -> PlanChoice:
    return PlanChoice(district, day)


DEPENDENCIES = {
    "views": Provide(provide_fleet_views, sync_to_thread=False),
    "chosen": Provide(plan_choice, sync_to_thread=False),
}
Views = NamedDependency[FleetViews]
Chosen = NamedDependency[PlanChoice]


async def planner(request: AnyRequest) -> StaffMember:
    """A signed-in dispatcher or admin: planning rounds and repairs is theirs."""
    member = await signed_in(request)
    if not member.has("dispatcher", "admin"):
        raise NotAllowed(
            "Emptying plans and the road layer are for dispatchers and admins.",
            N_("not_allowed_fleet"),
        )
    return member


class Problem(Exception):
    """What a page says instead of a plan: a text key, its reason's key and the status."""

    def __init__(self, status: int, key: str, reason_key: str = "") -> None:
        super().__init__(key)
        self.status = status
        self.key = key
        self.reason_key = reason_key


# Why fleet refused a plan, by the refusal's code; fleet's own sentence is English.
REFUSALS = {"unknown_district": N_("plan_refused_unknown_district")}


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
    """The page with what `read` found, or with why there is nothing: never a 500."""
    t = Words(choose_language(request))
    context |= {"problem": None, **figures(t)}
    status = 200
    try:
        context |= await read(t)
    except Problem as problem:
        reason = t(problem.reason_key) if problem.reason_key else ""
        context["problem"], status = t(problem.key, reason=reason), problem.status
    except FleetUnreachable:
        context["problem"], status = t("fleet_unavailable"), 503
    return page(request, template, status, private=private, **context)


async def road_layer(views: FleetViews, t: Words, evidence: bool) -> dict[str, Any]:
    found = await views.road_pieces()
    # A city's layer is thousands of pieces, megabytes: drawn off the event loop.
    return await asyncio.to_thread(layer_views, found, t, evidence)


def layer_views(found: list[RoadPieceCondition], t: Words, evidence: bool) -> dict[str, Any]:
    pieces = [road_piece(piece, evidence) for piece in found]
    return {
        "pieces": worst_first(pieces),
        "total": len(pieces),
        "counts": condition_counts(pieces),
        "map": map_data(road_map(pieces, t)),
    }


def map_data(layers: dict[str, Any]) -> Markup:
    """The map script's data, made safe for a <script> element as Jinja's `tojson` would."""
    return htmlsafe_json_dumps(layers)


def plan_context(shown: PlanShown, query: dict[str, str], t: Words) -> dict[str, Any]:
    """The plan and its downloads, whether a newer one is being computed, or why there is none."""
    if shown.status == "refused" and shown.answer is not None:
        why = REFUSALS.get(shown.answer.code, N_("plan_refused_cannot_plan"))
        raise Problem(422, N_("fleet_refused"), why)
    context: dict[str, Any] = {"computing": shown.status == "computing"}
    if shown.status == "late":
        if shown.plan is None:
            raise FleetUnreachable("fleet has not answered the plan request")
        # The newer plan asked for did not come: the current one stands, with a word why.
        context["problem"] = t("fleet_unavailable")
    if context["computing"]:
        context["refresh_seconds"] = REFRESH_SECONDS
    if shown.plan is not None:
        plan = plan_view(shown.plan.model_dump(mode="json"))
        exports = [(name, _link("emptying-plan", query, f)) for f, name in PLAN_FORMATS.items()]
        context |= {"plan": plan, "map": map_data(plan_map(plan, t)), "exports": exports}
    return context


class FleetStaffPages(Controller):
    """Part of the staff router, behind its sign-in and CSRF check."""

    include_in_schema = False
    dependencies = DEPENDENCIES

    @get("/emptying-plan")
    async def emptying_plan(self, request: AnyRequest, views: Views, chosen: Chosen) -> Template:
        member = await planner(request)
        district, query = chosen.district, chosen.query()
        context = {"member": member, "districts": known_districts(), **query, "plan": None}
        context["district_name"] = next(
            (d.name for d in known_districts() if d.id == district), district
        )

        async def read(t: Words) -> dict[str, Any]:
            if chosen.day_text and chosen.day is None:
                raise Problem(400, N_("plan_bad_date"))
            if not district:
                return {}
            plan = await views.plan(district, chosen.day or today(), member.user_id)
            return plan_context(plan, query, t)

        return await shown(request, "staff_emptying_plan.html.j2", context, read)

    @post("/emptying-plan", status_code=303)
    async def ask_again(self, request: AnyRequest, views: Views) -> Redirect:
        """A newer plan for the district and day; the page shows the current one meanwhile."""
        member = await planner(request)
        form = await request.form()
        chosen = PlanChoice(str(form.get("district") or "")[:100], str(form.get("date") or ""))
        if chosen.district and chosen.day is not None:
            await views.ask(chosen.district, chosen.day, member.user_id)
        return see_other(f"/staff/emptying-plan?{urlencode(chosen.query())}")

    @get("/road-conditions")
    async def road_conditions(self, request: AnyRequest, views: Views) -> Template:
        member = await planner(request)

        async def read(t: Words) -> dict[str, Any]:
            exports = [(name, _link("road-conditions", {}, f)) for f, name in LAYER_FORMATS.items()]
            return {**await road_layer(views, t, evidence=True), "exports": exports}

        context = {"member": member, "pieces": [], "counts": []}
        return await shown(request, "staff_road_conditions.html.j2", context, read)

    @get(["/emptying-plan/export", "/road-conditions/export"])
    async def export(
        self, request: AnyRequest, views: Views, chosen: Chosen, wanted: FormatQuery = ""
    ) -> Response[Any]:
        """The plan kept for the district and day, or the road layer, as a file."""
        await planner(request)
        if request.url.path.endswith("/emptying-plan/export"):
            fmt, day = wanted or "json", chosen.day
            name = UNSAFE_IN_NAME.sub("", f"emptying-plan-{chosen.district}-{chosen.day_text}")
            if fmt not in PLAN_FORMATS:
                return refused_download(request, 400, "invalid", N_("plan_export_formats"))
            kept = None if day is None else await views.kept_plan(chosen.district, day)
            if kept is None:
                return refused_download(request, 404, "not_found", N_("plan_export_none"))
            body, media = await asyncio.to_thread(plan_file, kept, fmt), PLAN_MEDIA[fmt]
        else:
            fmt, name = wanted or "geojson", "road-conditions"
            if fmt not in LAYER_FORMATS:
                return refused_download(request, 400, "invalid", N_("road_export_formats"))
            pieces = await views.road_pieces()
            body, media = await asyncio.to_thread(layer_file, pieces, fmt), PLAN_MEDIA[fmt]
        headers = {
            "cache-control": "no-store",
            "content-disposition": f'attachment; filename="{name}.{fmt}"',
        }
        return Response(body, media_type=media, headers=headers)


class RoadConditionsPage(Controller):
    """The public map of the roads' condition classes."""

    include_in_schema = False
    dependencies = DEPENDENCIES

    @get("/road-conditions")
    async def road_conditions(self, request: AnyRequest, views: Views) -> Template:
        async def read(t: Words) -> dict[str, Any]:
            # Everyone sees the same layer: read and drawn once in a while, not per visitor.
            cache: dict[str, tuple[float, dict[str, Any]]] = request.app.state.setdefault(
                "public_road_layer", {}
            )
            kept = cache.get(t.language)
            if kept is not None and kept[0] > time.monotonic():
                return kept[1]
            layer = await road_layer(views, t, evidence=False)
            cache[t.language] = (time.monotonic() + PUBLIC_LAYER_FRESH_S, layer)
            return layer

        return await shown(request, "road_conditions.html.j2", {"counts": []}, read, private=False)


def refused_download(request: AnyRequest, status: int, code: str, key: str) -> Response[Any]:
    """A download that cannot be made: the site's error page saying why for a browser (the
    links are on the staff pages), the error body in the person's language for a program."""
    if wants_page(request):
        title, _ = PAGES[status]
        return page(request, "error.html.j2", status, private=True, title_key=title, text_key=key)
    return error_response(status, code, Words(choose_language(request))(key))


def today() -> date:
    return datetime.now(CITY_TIME).date()


def _link(page_path: str, query: dict[str, str], fmt: str) -> str:
    return f"/staff/{page_path}/export?{urlencode({**query, 'format': fmt})}"
