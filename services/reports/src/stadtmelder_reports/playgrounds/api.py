"""The playgrounds in the JSON API: the list, one playground, the one near a place, rating."""

from collections.abc import Callable
from typing import Annotated, Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody, QueryParameter
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND
from litestar.types import ExceptionHandlersMap
from pydantic import BaseModel, Field

from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.http.declared_responses import BY_KEY, READ, declared
from stadtmelder_reports.http.errors import error_response
from stadtmelder_reports.http.requests import AnyRequest, AsPublic, as_public, client_address
from stadtmelder_reports.http.schemas import ReportOut
from stadtmelder_reports.playgrounds.domain import (
    RATING_COMMENT_MAX_LENGTH,
    InvalidRating,
    Playground,
    PlaygroundState,
    average_stars,
)
from stadtmelder_reports.playgrounds.service import (
    PlaygroundNotFound,
    PlaygroundService,
    PlaygroundView,
)
from stadtmelder_shared.event_values import Location

Playgrounds = NamedDependency[PlaygroundService]


def provide_playgrounds(request: AnyRequest) -> PlaygroundService:
    playgrounds: PlaygroundService = request.app.state.playgrounds
    return playgrounds


class PlaygroundBriefOut(BaseModel):
    id: str
    name: str | None = Field(description="The register's name; null for an unnamed playground.")
    operator: str | None
    lat: float = Field(description="A point inside the playground.")
    lon: float
    url: str


class CommentOut(BaseModel):
    rating: int
    comment: str
    at: str


class PlaygroundOut(PlaygroundBriefOut):
    state: PlaygroundState
    geometry: dict[str, Any] = Field(description="The outline or point, GeoJSON (RFC 7946).")
    open_defects: list[ReportOut]
    recently_fixed: list[ReportOut] = Field(description="Resolved within the last 30 days.")
    rating_count: int
    rating_average: float | None
    recent_comments: list[CommentOut] = Field(description="Only comments a moderator approved.")


class PlaygroundList(BaseModel):
    items: list[PlaygroundOut]


class NearOut(BaseModel):
    playground: PlaygroundBriefOut | None


class RatingIn(BaseModel):
    rating: int = Field(ge=1, le=5)
    comment: str | None = Field(None, max_length=RATING_COMMENT_MAX_LENGTH)


class RatingOut(BaseModel):
    rating: int
    comment_awaits_moderation: bool


def brief(playground: Playground) -> PlaygroundBriefOut:
    centre = playground.centre
    return PlaygroundBriefOut(
        id=playground.id,
        name=playground.name,
        operator=playground.operator,
        lat=round(centre.lat, 6),
        lon=round(centre.lon, 6),
        url=f"/playgrounds/{playground.id}",
    )


def playground_out(view: PlaygroundView, as_public: Callable[[Report], ReportOut]) -> PlaygroundOut:
    return PlaygroundOut(
        **brief(view.playground).model_dump(),
        state=view.state,
        geometry=view.playground.geojson,
        open_defects=[as_public(r) for r in view.open_defects],
        recently_fixed=[as_public(r) for r in view.recently_fixed],
        rating_count=view.rating.ratings,
        rating_average=average_stars(view.rating),
        recent_comments=[
            CommentOut(rating=c.stars, comment=c.public_comment or "", at=c.at.isoformat())
            for c in view.comments
            if c.public_comment
        ],
    )


def on_playground_not_found(_: AnyRequest, exc: PlaygroundNotFound) -> Response[Any]:
    return error_response(HTTP_404_NOT_FOUND, "playground_not_found", str(exc))


def on_invalid_rating(_: AnyRequest, exc: InvalidRating) -> Response[Any]:
    errors = [{"field": exc.field, "reason": exc.reason}]
    return error_response(
        HTTP_400_BAD_REQUEST, "invalid_rating", f"The rating was not accepted: {exc}", errors
    )


class PlaygroundsController(Controller):
    path = "/api/v1/playgrounds"
    tags = ["playgrounds"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    dependencies = {  # noqa: RUF012
        "playgrounds": Provide(provide_playgrounds, sync_to_thread=False),
        "as_public": Provide(as_public, sync_to_thread=False),
    }
    exception_handlers: ExceptionHandlersMap = {  # noqa: RUF012 (read by Litestar)
        PlaygroundNotFound: on_playground_not_found,
        InvalidRating: on_invalid_rating,
    }

    @get(responses=declared(*READ))
    async def list_playgrounds(
        self, playgrounds: Playgrounds, as_public: AsPublic
    ) -> PlaygroundList:
        """Every imported playground with its state, open and recently fixed defects, ratings."""
        views = await playgrounds.overview()
        return PlaygroundList(items=[playground_out(view, as_public) for view in views])

    @get("/near", responses=declared(*READ))
    async def near(
        self,
        playgrounds: Playgrounds,
        lat: Annotated[float, QueryParameter(ge=-90, le=90)],
        lon: Annotated[float, QueryParameter(ge=-180, le=180)],
    ) -> NearOut:
        """The playground within 50 m of the place (its outline, or its point), if any."""
        found = await playgrounds.near(Location(lat=lat, lon=lon))
        return NearOut(playground=brief(found) if found else None)

    @get("/{playground_id:str}", responses=declared(*BY_KEY))
    async def show_playground(
        self, playgrounds: Playgrounds, as_public: AsPublic, playground_id: FromPath[str]
    ) -> PlaygroundOut:
        return playground_out(await playgrounds.detail(playground_id), as_public)

    @post("/{playground_id:str}/ratings", responses=declared(400, 404, 413, 429, 503))
    async def rate(
        self,
        request: AnyRequest,
        playgrounds: Playgrounds,
        data: JSONBody[RatingIn],
        playground_id: FromPath[str],
    ) -> RatingOut:
        """Anyone's 1-5; a comment is shown only once a moderator approved it."""
        client = client_address(request)
        rating = await playgrounds.rate(playground_id, data.rating, data.comment, client)
        return RatingOut(
            rating=rating.stars, comment_awaits_moderation=rating.comment_state == "pending"
        )
