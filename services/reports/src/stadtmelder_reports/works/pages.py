"""The works' pages: the public map and list at /works, and /staff/works where dispatchers and
admins enter, edit and withdraw works (under the staff router's sign-in and CSRF check)."""

import contextlib
from collections.abc import Mapping
from datetime import date
from typing import Any

from litestar import Controller, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template
from shapely import Polygon

from stadtmelder_reports.errors import NotAllowed
from stadtmelder_reports.fleet_pages.pages import map_data
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.staff.access import may_edit_works
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.web.rendering import choose_language, page, see_other
from stadtmelder_reports.web.staff_pages import signed_in
from stadtmelder_reports.web.texts import Words
from stadtmelder_reports.works.api import DEPENDENCIES, Register
from stadtmelder_reports.works.domain import InvalidWorks, Works, works_from_values
from stadtmelder_reports.works.service import Shown, WorksNotFound
from stadtmelder_reports.works.texts import city_today, day_text
from stadtmelder_shared.translations import N_

FORM_FIELDS = ("id", "title", "operator", "description", "reference", "from", "until")
# Planned works in the map's own colour, current ones in a warning orange.
COLOURS = {"current": "#b34700", "planned": "#1d5fa8", "past": "#6b7280"}


def works_view(works: Works, t: Words, today: date) -> dict[str, Any]:
    phase = works.phase(today)
    return {
        "id": works.id,
        "title": works.title,
        "operator": works.operator,
        "description": works.description,
        "reference": works.reference,
        "phase": phase,
        "since": day_text(t.language, works.starts_on, today),
        "until": day_text(t.language, works.ends_on, today),
        "colour": COLOURS[phase],
    }


def works_map(found: list[Works], t: Words, today: date) -> dict[str, Any]:
    """The outlines as the map script draws areas: rings of [lat, lon] with a title each."""
    areas = []
    for works in found:
        outline = works.shape()
        polygons = getattr(outline, "geoms", [outline])
        title = f"{works.title} ({works.operator})"
        colour = COLOURS[works.phase(today)]
        for polygon in polygons:
            ring = [[lat, lon] for lon, lat in polygon.exterior.coords]
            areas.append({"ring": ring, "colour": colour, "title": title})
    return {"areas": areas}


class WorksPage(Controller):
    """The public map and list of current and planned works."""

    include_in_schema = False
    dependencies = DEPENDENCIES

    @get("/works")
    async def works(self, request: AnyRequest, works_register: Register) -> Template:
        t, today = Words(choose_language(request)), city_today()
        found = await works_register.listed(Shown(since=today))
        views = [works_view(works, t, today) for works in found]
        context: dict[str, Any] = {
            "current": [v for v in views if v["phase"] == "current"],
            "planned": [v for v in views if v["phase"] == "planned"],
            "map": map_data(works_map(found, t, today)) if found else None,
        }
        return page(request, "works.html.j2", **context)


async def works_editor(request: AnyRequest) -> StaffMember:
    member = await signed_in(request)
    if not may_edit_works(member):
        raise NotAllowed(
            "Known works are entered by dispatchers and admins.", N_("not_allowed_works")
        )
    return member


def form_values(form: Mapping[str, Any]) -> dict[str, Any]:
    """The form's fields, and the outline from the GeoJSON or WKT field or the rectangle."""
    values = {name: str(form.get(name) or "").strip()[:2000] for name in FORM_FIELDS}
    geometry = str(form.get("geometry") or "").strip()[:200_000]
    rectangle = str(form.get("rectangle") or "").strip()[:200]
    if not geometry and rectangle:
        try:
            west, south, east, north = (float(part) for part in rectangle.split(","))
            corners = [(west, south), (east, south), (east, north), (west, north)]
            geometry = Polygon(corners).wkt
        except ValueError:
            geometry = "rectangle"  # refused below as unreadable, with the field named
    values["geometry"] = geometry
    values["width_m"] = str(form.get("width_m") or "").strip()[:20]
    return values


class WorksStaffPages(Controller):
    include_in_schema = False
    dependencies = DEPENDENCIES

    @get("/works")
    async def register(self, request: AnyRequest, works_register: Register) -> Template:
        member = await works_editor(request)
        return _shown(request, member, await works_register.listed(Shown(date.min)), {})

    @get("/works/{works_id:str}")
    async def edit(
        self, request: AnyRequest, works_register: Register, works_id: FromPath[str]
    ) -> Template:
        """The form filled with the works, to change them; the id stays."""
        member = await works_editor(request)
        listed = await works_register.listed(Shown(date.min))
        try:
            values = _as_form(await works_register.get(works_id))
        except WorksNotFound:
            return _shown(request, member, listed, {}, 404)
        return _shown(request, member, listed, values)

    @post("/works", status_code=303)
    async def save(self, request: AnyRequest, works_register: Register) -> Redirect | Template:
        member = await works_editor(request)
        values = form_values(await request.form())
        try:
            works = works_from_values(values)
        except InvalidWorks as error:
            listed = await works_register.listed(Shown(date.min))
            t = Words(choose_language(request))
            problem = t("works_form_invalid", reason=t(error.key))
            return _shown(request, member, listed, values, 400, problem=problem)
        await works_register.save(works)
        return see_other(f"/staff/works?saved={works.id}")

    @post("/works/{works_id:str}/withdraw", status_code=303)
    async def withdraw(
        self, request: AnyRequest, works_register: Register, works_id: FromPath[str]
    ) -> Redirect:
        await works_editor(request)
        # Gone meanwhile (someone else withdrew it): the list shows it gone either way.
        with contextlib.suppress(WorksNotFound):
            await works_register.withdraw(works_id)
        return see_other("/staff/works")


def _as_form(works: Works) -> dict[str, Any]:
    values = {name: getattr(works, name) for name in ("id", "title", "operator", "description")}
    days = {"from": works.starts_on.isoformat(), "until": works.ends_on.isoformat()}
    outline = {"geometry": works.shape().wkt, "reference": works.reference or ""}
    return values | days | outline | {"editing": True}


def _shown(
    request: AnyRequest,
    member: StaffMember,
    listed: list[Works],
    values: dict[str, Any],
    status: int = 200,
    problem: str | None = None,
) -> Template:
    t, today = Words(choose_language(request)), city_today()
    return page(
        request,
        "staff_works.html.j2",
        status,
        private=True,
        member=member,
        works=[works_view(w, t, today) for w in listed],
        values=values,
        problem=problem,
        saved=request.query_params.get("saved"),
        # Drawn even without works: staff take a rectangle from its view.
        map=map_data(works_map(listed, t, today)),
    )
