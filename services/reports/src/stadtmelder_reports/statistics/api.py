"""GET /api/v1/statistics: the figures of a month range, in total and per category, district,
department and month, optionally for one category, district or department."""

from typing import Annotated, Any

from litestar import Controller, Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, QueryParameter
from litestar.status_codes import HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ExceptionHandlersMap
from pydantic import BaseModel, Field

from stadtmelder_reports.http.declared_responses import declared
from stadtmelder_reports.http.errors import error_response
from stadtmelder_reports.http.requests import AnyRequest, Service
from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.statistics.figures import DIMENSIONS, Figures, Selection
from stadtmelder_reports.statistics.service import StatisticsNotReady, StatisticsService
from stadtmelder_reports.statistics.views import CODE_ADVICE, CODE_PATTERN, Names, selection_from
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.clock import utc_now

Statistics = NamedDependency[StatisticsService]
Chosen = NamedDependency[Selection]
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"
# Documented only: `selection_from` checks the months, so that a refusal names `from`, the
# parameter the client sent, and not this module's name for it.
MONTH_SCHEMA = {"pattern": MONTH_PATTERN}
CODE_SCHEMA = {"pattern": CODE_PATTERN, "max_length": 64}
Code = Annotated[str | None, QueryParameter(schema_extra=CODE_SCHEMA, description=CODE_ADVICE)]
RANGE_REFUSED = (
    "The query was not understood: `errors` names the parameter. Beyond this schema `from` "
    "must not come after `to` (by default this month, in the city's time)."
)


def provide_statistics(state: State) -> StatisticsService:
    statistics: StatisticsService = state.statistics
    return statistics


def provide_selection(
    first: Annotated[
        str | None,
        QueryParameter(name="from", schema_extra=MONTH_SCHEMA, description="First month, YYYY-MM."),
    ] = None,
    to: Annotated[
        str | None, QueryParameter(schema_extra=MONTH_SCHEMA, description="Last month, YYYY-MM.")
    ] = None,
    category: Code = None,
    district: Code = None,
    department: Code = None,
) -> Selection:
    """The last twelve months (this one included) unless `from`/`to` say otherwise."""
    return selection_from(utc_now(), first, to, category, district, department)


DEPENDENCIES = {
    "statistics": Provide(provide_statistics, sync_to_thread=False),
    "chosen": Provide(provide_selection, sync_to_thread=False),
}


class FiguresOut(BaseModel):
    reports: int
    resolved_share: float | None = Field(description="Resolved reports / reports, 0 to 1.")
    acknowledge_median_hours: float | None = Field(
        description="From sending to the department's first step (acknowledged, in progress or "
        "resolved); nearest-rank median."
    )
    acknowledge_p90_hours: float | None
    resolve_median_hours: float | None = Field(
        description="From sending to being resolved, of the reports resolved now."
    )
    resolve_p90_hours: float | None
    reopened_share: float | None = Field(
        description="Reports reopened after a citizen answered 'not fixed' / reports ever resolved."
    )


class RowOut(FiguresOut):
    key: str = Field(description="Category code, district id, department id or YYYY-MM.")
    name: str


class StatisticsOut(BaseModel):
    """The selection (months and filters) and its figures."""

    first_month: str
    last_month: str
    category: str | None
    district: str | None
    department: str | None

    total: FiguresOut
    by_category: list[RowOut]
    by_district: list[RowOut]
    by_department: list[RowOut]
    by_month: list[RowOut]


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 3)


def figures_out(figures: Figures) -> dict[str, float | int | None]:
    return {
        "reports": figures.reports,
        "resolved_share": figures.resolved_share,
        "acknowledge_median_hours": _hours(figures.acknowledge_median_s),
        "acknowledge_p90_hours": _hours(figures.acknowledge_p90_s),
        "resolve_median_hours": _hours(figures.resolve_median_s),
        "resolve_p90_hours": _hours(figures.resolve_p90_s),
        "reopened_share": figures.reopened_share,
    }


def on_not_ready(_: AnyRequest, __: StatisticsNotReady) -> Response[Any]:
    return error_response(
        HTTP_503_SERVICE_UNAVAILABLE,
        "statistics_not_ready",
        "The statistics are being built after a start; ask again in a few seconds.",
    )


class StatisticsController(Controller):
    path = "/api/v1/statistics"
    tags = ["statistics"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    dependencies = DEPENDENCIES
    exception_handlers: ExceptionHandlersMap = {  # noqa: RUF012 (read by Litestar)
        StatisticsNotReady: on_not_ready
    }

    @get(responses=declared(400, 503, why={400: RANGE_REFUSED}))
    async def statistics(
        self,
        service: Service,
        statistics: Statistics,
        chosen: Chosen,
        lang: FromQuery[LanguageCode] = "de",
    ) -> StatisticsOut:
        """Counted from the reports' lifecycle events; reports staff hid are not counted.
        503 while the figures are being built after a start."""
        found = statistics.breakdown(chosen)
        names = Names(service.jurisdiction, statistics.aggregates.departments, Words(lang))
        rows = {
            dimension: [
                RowOut(key=key, name=names.of(dimension, key), **figures_out(figures))
                for key, figures in found.by[dimension].items()
            ]
            for dimension in DIMENSIONS
        }
        return StatisticsOut(
            **chosen._asdict(),
            total=FiguresOut(**figures_out(found.total)),
            **{f"by_{dimension}": rows[dimension] for dimension in DIMENSIONS},
        )
