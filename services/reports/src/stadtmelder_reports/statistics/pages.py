"""The /statistics page: filters, a chart per dimension drawn as SVG on the server, and each
chart's figures as a table beside it."""

from typing import Any
from urllib.parse import urlencode

from litestar import Controller, get
from litestar.exceptions import ValidationException
from litestar.response import Template
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_503_SERVICE_UNAVAILABLE
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.errors import InvalidQuery
from stadtmelder_reports.http.requests import AnyRequest, Service
from stadtmelder_reports.statistics.api import DEPENDENCIES, Chosen, Statistics
from stadtmelder_reports.statistics.figures import Breakdown, Figures, Selection
from stadtmelder_reports.statistics.service import StatisticsNotReady
from stadtmelder_reports.statistics.views import (
    Names,
    Readable,
    bar_chart,
    district_names,
)
from stadtmelder_reports.web.rendering import choose_language, page
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.translations import N_

# Per dimension: the chart's title and what it measures (the table has every figure).
CHARTS = {
    "category": (N_("statistics_chart_category"), "reports"),
    "district": (N_("statistics_chart_district"), "resolved_share"),
    "department": (N_("statistics_chart_department"), "resolve_median_s"),
    "month": (N_("statistics_chart_month"), "reports"),
}
HEADINGS = {
    "category": N_("statistics_category"),
    "district": N_("statistics_district"),
    "department": N_("statistics_department"),
    "month": N_("statistics_month"),
}


def on_problem(request: AnyRequest, exc: Exception) -> Template:
    """Figures still being built (503), or a query parameter not understood (400), named as
    the query names it."""
    t = Words(choose_language(request))
    if isinstance(exc, StatisticsNotReady):
        said = t("statistics_not_ready")
        return page(
            request, "statistics.html.j2", status_code=HTTP_503_SERVICE_UNAVAILABLE, problem=said
        )
    named = _parameter_of(exc)
    advice = t("statistics_bad_month") if named in ("from", "to") else t("statistics_bad_code")
    said = t("statistics_bad_parameter").format(parameter=named) + " " + advice
    return page(request, "statistics.html.j2", status_code=HTTP_400_BAD_REQUEST, problem=said)


def _parameter_of(exc: Exception) -> str:
    if isinstance(exc, InvalidQuery):
        return exc.problems[0].field
    problems = exc.extra if isinstance(exc, ValidationException) else None
    if isinstance(problems, list) and problems and isinstance(problems[0], dict):
        return str(problems[0].get("key") or "?")
    return "?"


# The selection refuses a parameter it does not understand (InvalidQuery); Litestar refuses
# one of the wrong type (ValidationException) before the handler runs.
PROBLEMS: ExceptionHandlersMap = dict.fromkeys(
    (StatisticsNotReady, InvalidQuery, ValidationException), on_problem
)


class StatisticsPage(Controller):
    include_in_schema = False
    dependencies = DEPENDENCIES
    exception_handlers = PROBLEMS

    @get("/statistics")
    async def statistics_page(
        self, request: AnyRequest, service: Service, statistics: Statistics, chosen: Chosen
    ) -> Template:
        found = statistics.breakdown(chosen)
        t = Words(choose_language(request))
        names = Names(service.jurisdiction, statistics.aggregates.departments, t)
        return page(
            request,
            "statistics.html.j2",
            chosen=chosen,
            options=_options(service.jurisdiction, statistics.aggregates.departments, t),
            total=Readable(t).row(t("statistics_total"), found.total),
            sections=_sections(found, names, t),
            json_link=_json_link(chosen, t.language),
        )


def _sections(found: Breakdown, names: Names, t: Words) -> list[dict[str, Any]]:
    readable = Readable(t)
    sections = []
    for dimension, (title, measure) in CHARTS.items():
        rows = [(names.of(dimension, key), f) for key, f in found.by[dimension].items()]

        def measured(figures: Figures, name: str = measure) -> float | None:
            value: float | None = getattr(figures, name)
            return value

        chart = bar_chart(
            f"chart-{dimension}",
            t(title),
            t("statistics_chart_desc"),
            rows,
            measured,
            readable.told(measure),
        )
        sections.append(
            {
                "heading": t(HEADINGS[dimension]),
                "chart": chart,
                "rows": [readable.row(name, figures) for name, figures in rows],
            }
        )
    return sections


def _options(
    jurisdiction: Jurisdiction, departments: dict[str, str], t: Words
) -> dict[str, list[Any]]:
    language = t.language
    return {
        "category": [
            (c.code, c.names.get(language) or c.names["de"]) for c in jurisdiction.categories
        ],
        "district": sorted(district_names().items(), key=lambda pair: pair[1]),
        "department": sorted(departments.items(), key=lambda pair: pair[1]),
    }


def _json_link(chosen: Selection, language: str) -> str:
    query = {
        "from": chosen.first_month,
        "to": chosen.last_month,
        "category": chosen.category,
        "district": chosen.district,
        "department": chosen.department,
        "lang": language,
    }
    return "/api/v1/statistics?" + urlencode({k: v for k, v in query.items() if v})
