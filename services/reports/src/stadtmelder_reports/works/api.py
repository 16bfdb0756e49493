"""The known works in the JSON API: `/api/v1/works` (current and planned, by box and days) and
`/api/v1/works/here` (the works at one place, with the sentence the report form shows)."""

import re
from datetime import date
from typing import Annotated, Any

from litestar import Controller, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter
from pydantic import BaseModel, Field

from stadtmelder_reports.core.geography import BoundingBox
from stadtmelder_reports.errors import InvalidQuery
from stadtmelder_reports.http.declared_responses import QUERY_REFUSED, READ, declared
from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.web.texts import Words
from stadtmelder_reports.works.domain import Works
from stadtmelder_reports.works.service import Shown, WorksRegister
from stadtmelder_reports.works.texts import city_today, works_sentence
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.works import Phase


def provide_works_register(state: State) -> WorksRegister:
    register: WorksRegister = state.works_register
    return register


DEPENDENCIES = {"works_register": Provide(provide_works_register, sync_to_thread=False)}
Register = NamedDependency[WorksRegister]
Latitude = Annotated[float, QueryParameter(ge=-90, le=90)]
Longitude = Annotated[float, QueryParameter(ge=-180, le=180)]
Language = FromQuery[LanguageCode]
# A day as the document declares it (fullmatch: no trailing newline); `date.fromisoformat`
# alone would also take 20261207.
DAY_PATTERN = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
Day = re.compile(DAY_PATTERN)
DAY_SCHEMA = {"pattern": DAY_PATTERN}
RANGE_REFUSED = f"{QUERY_REFUSED} A day must exist, and `until` must not lie before `from`."


class WorksOut(BaseModel):
    id: str
    title: str = Field(description="What is done.")
    description: str
    operator: str = Field(description="Who does it: the operator or company.")
    reference: str | None = Field(description="The operator's own file number.")
    starts_on: date
    ends_on: date
    phase: Phase = Field(description="planned, current or past, on the city's today.")
    geometry: dict[str, Any] = Field(description="The outline: a GeoJSON (Multi)Polygon.")


class WorksPageOut(BaseModel):
    works: list[WorksOut]


class WorksHereOut(WorksPageOut):
    sentences: list[str] = Field(description="What the report form says, one per works.")


def works_out(works: Works, today: date) -> WorksOut:
    more = {"description": works.description, "reference": works.reference}
    shown = {"phase": works.phase(today), "geometry": dict(works.outline)}
    return WorksOut(**works.ref().model_dump(), **more, **shown)


def shown_of(bbox: str | None, since: str | None, until: str | None, today: date) -> Shown:
    try:
        box = BoundingBox.parse(bbox) if bbox else None
    except ValueError as error:
        raise InvalidQuery("bbox", str(error)) from None
    first, last = _day("from", since) or today, _day("until", until)
    if last is not None and last < first:
        raise InvalidQuery("until", "until lies before from")
    corners = None if box is None else (box.min_lon, box.min_lat, box.max_lon, box.max_lat)
    return Shown(first, last, corners)


def _day(name: str, text: str | None) -> date | None:
    try:
        if text and not Day.fullmatch(text):
            raise ValueError(text)
        return date.fromisoformat(text) if text else None
    except ValueError:
        raise InvalidQuery(name, "a date is written YYYY-MM-DD") from None


class WorksApi(Controller):
    path = "/api/v1/works"
    tags = ["works"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    dependencies = DEPENDENCIES

    @get("/", responses=declared(*READ, why={400: RANGE_REFUSED}))
    async def list_works(
        self,
        works_register: Register,
        bbox: FromQuery[str | None] = None,
        since: Annotated[
            str | None, QueryParameter(name="from", max_length=10, schema_extra=DAY_SCHEMA)
        ] = None,
        until: Annotated[str | None, QueryParameter(max_length=10, schema_extra=DAY_SCHEMA)] = None,
    ) -> WorksPageOut:
        """Known works (Baustellen) not over before `from` (default: today) and begun by
        `until`: current and planned ones; `bbox` is min_lon,min_lat,max_lon,max_lat."""
        today = city_today()
        found = await works_register.listed(shown_of(bbox, since, until, today))
        return WorksPageOut(works=[works_out(works, today) for works in found])

    @get("/here", responses=declared(*READ))
    async def works_here(
        self, works_register: Register, lat: Latitude, lon: Longitude, lang: Language = "de"
    ) -> WorksHereOut:
        """Current or planned works at a place, with the sentence the report form shows."""
        today, t = city_today(), Words(lang)
        found = await works_register.here(Location(lat=lat, lon=lon), today)
        return WorksHereOut(
            works=[works_out(works, today) for works in found],
            sentences=[works_sentence(t, works.ref(), today) for works in found],
        )
