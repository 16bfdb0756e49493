"""The playground pages: everyone's list and map, one playground with its rating form, and the
staff page that closes a playground for repair and moderates rating comments."""

from typing import Any

from litestar import Controller, get, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.errors import TooManySubmissions
from stadtmelder_reports.http.requests import AnyRequest, client_address
from stadtmelder_reports.http.schemas import public_view
from stadtmelder_reports.moderation.domain import may_moderate
from stadtmelder_reports.playgrounds.api import Playgrounds, provide_playgrounds
from stadtmelder_reports.playgrounds.domain import (
    RATING_COMMENT_MAX_LENGTH,
    InvalidRating,
    average_stars,
)
from stadtmelder_reports.playgrounds.service import PlaygroundNotFound, PlaygroundView
from stadtmelder_reports.web.rendering import choose_language, page, see_other
from stadtmelder_reports.web.report_pages import on_not_found
from stadtmelder_reports.web.staff_pages import STAFF_PATH, signed_in
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.translations import N_

# Keys the pages compose at run time (a state, a problem's field, a number of stars).
COMPOSED_KEYS = (
    N_("playground_state_no_known_defects"),
    N_("playground_state_defects_open"),
    N_("playground_state_closed"),
    N_("playground_err_rating"),
    N_("playground_err_comment"),
    N_("playground_stars_1"),
    N_("playground_stars_2"),
    N_("playground_stars_3"),
    N_("playground_stars_4"),
    N_("playground_stars_5"),
)
# Where a staff form leads back to: the page then says it was saved.
DONE = f"{STAFF_PATH}/playgrounds?done=1"
DEPENDENCIES = {"playgrounds": Provide(provide_playgrounds, sync_to_thread=False)}


def shown(view: PlaygroundView, language: str) -> dict[str, Any]:
    """What a page shows of a playground: the register's name, never a citizen's words."""
    centre = view.playground.centre
    return {
        "id": view.playground.id,
        "name": view.playground.name,
        "operator": view.playground.operator,
        "state": view.state,
        "lat": centre.lat,
        "lon": centre.lon,
        "open": [public_view(r, language, "") for r in view.open_defects],
        "fixed": [public_view(r, language, "") for r in view.recently_fixed],
        "rating_count": view.rating.ratings,
        "average": average_stars(view.rating),
        "comments": [c for c in view.comments if c.public_comment],
        "outline": view.playground.geojson if view.playground.geometry.area else None,
    }


def outlines(places: list[dict[str, Any]]) -> dict[str, Any]:
    """The outlines as one GeoJSON FeatureCollection for the map script; points have none."""
    return {
        "type": "FeatureCollection",
        "features": [
            {"type": "Feature", "properties": {}, "geometry": place["outline"]}
            for place in places
            if place["outline"] is not None
        ],
    }


def map_points(places: list[dict[str, Any]], t: Words) -> list[dict[str, Any]]:
    return [
        {
            "id": place["id"],
            "lat": place["lat"],
            "lon": place["lon"],
            "title": f"{place['name'] or t('playground_unnamed')} – "
            f"{t.composed('playground_state_', place['state'])}",
            "open": place["state"] != "no_known_defects",
            "url": f"/playgrounds/{place['id']}",
        }
        for place in places
    ]


class PlaygroundPages(Controller):
    include_in_schema = False
    dependencies = DEPENDENCIES
    exception_handlers: ExceptionHandlersMap = {  # noqa: RUF012 (read by Litestar)
        PlaygroundNotFound: on_not_found,
    }

    @get("/playgrounds")
    async def playgrounds(self, request: AnyRequest, playgrounds: Playgrounds) -> Template:
        language = choose_language(request)
        places = [shown(view, language) for view in await playgrounds.overview()]
        return page(
            request,
            "playgrounds.html.j2",
            places=places,
            points=map_points(places, Words(language)),
            outlines=outlines(places),
        )

    @get("/playgrounds/{playground_id:str}")
    async def playground(
        self, request: AnyRequest, playgrounds: Playgrounds, playground_id: FromPath[str]
    ) -> Template:
        rated = request.query_params.get("rated")
        return await self._page(request, playgrounds, playground_id, rated=rated)

    @post("/playgrounds/{playground_id:str}/rating")
    async def rate(
        self, request: AnyRequest, playgrounds: Playgrounds, playground_id: FromPath[str]
    ) -> Template | Redirect:
        t = Words(choose_language(request))
        form = await request.form()
        stars, comment = form.get("rating"), str(form.get("comment") or "")
        try:
            rating = await playgrounds.rate(playground_id, stars, comment, client_address(request))
        except InvalidRating as invalid:
            problem = {"field": invalid.field, "text": t(f"playground_err_{invalid.field}")}
            return await self._page(
                request, playgrounds, playground_id, 400, problem=problem, comment=comment
            )
        except TooManySubmissions as error:
            problem = {"field": "rating", "text": t("too_many", seconds=error.retry_after_seconds)}
            return await self._page(request, playgrounds, playground_id, 429, problem=problem)
        outcome = "pending" if rating.comment_state == "pending" else "1"
        return see_other(f"/playgrounds/{playground_id}?rated={outcome}#rating")

    async def _page(
        self,
        request: AnyRequest,
        playgrounds: Playgrounds,
        playground_id: str,
        status_code: int = 200,
        **extra: Any,
    ) -> Template:
        language = choose_language(request)
        place = shown(await playgrounds.detail(playground_id), language)
        return page(
            request,
            "playground.html.j2",
            status_code=status_code,
            place=place,
            points=map_points([place], Words(language)),
            outlines=outlines([place]),
            comment_max=RATING_COMMENT_MAX_LENGTH,
            **extra,
        )


class StaffPlaygroundPages(Controller):
    """Part of the staff router, behind its sign-in cookie and CSRF check."""

    path = "/playgrounds"
    dependencies = DEPENDENCIES
    exception_handlers: ExceptionHandlersMap = {  # noqa: RUF012 (read by Litestar)
        PlaygroundNotFound: on_not_found,
    }

    @get()
    async def overview(self, request: AnyRequest, playgrounds: Playgrounds) -> Template:
        member = await signed_in(request)
        language = choose_language(request)
        pending = await playgrounds.pending_comments(member) if may_moderate(member) else []
        places = [shown(view, language) for view in await playgrounds.overview()]
        return page(
            request,
            "staff_playgrounds.html.j2",
            private=True,
            member=member,
            places=places,
            pending=pending,
            names={place["id"]: place["name"] for place in places},
            done=request.query_params.get("done") == "1",
        )

    @post("/{kind:str}/{key:str}")
    async def change(
        self, request: AnyRequest, playgrounds: Playgrounds, kind: FromPath[str], key: FromPath[str]
    ) -> Redirect:
        """`closure/<playground>` closes or opens one, `ratings/<rating>` decides a comment."""
        member, form = await signed_in(request), await request.form()
        match kind:
            case "closure":
                await playgrounds.set_closed(member, key, form.get("closed") == "1")
            case "ratings":
                await playgrounds.decide_comment(member, key, form.get("decision") == "approve")
            case _:
                raise PlaygroundNotFound(key)
        return see_other(DONE)
