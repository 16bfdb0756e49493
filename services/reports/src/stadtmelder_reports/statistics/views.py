"""What the statistics page and JSON show: the selection read from the query, names for the
keys in the asked language, numbers as people read them, and bar charts as geometry for the
SVG template."""

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, format_percent

from stadtmelder_reports.alerts.store import load_districts
from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.errors import InvalidQuery
from stadtmelder_reports.statistics.domain import CITY_TIME, NO_DEPARTMENT, NO_DISTRICT
from stadtmelder_reports.statistics.figures import Figures, Selection
from stadtmelder_reports.web.texts import Words

MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
MONTHS_SHOWN = 12
MONTH_ADVICE = "A month as YYYY-MM, e.g. 2026-03."
# Category codes, district and department ids: ASCII letters, digits, `_`, `-` and `.`; the
# OpenAPI document declares the same pattern, so what it calls valid is accepted.
CODE_PATTERN = r"^[A-Za-z0-9_.-]{0,64}$"
CODE = re.compile(CODE_PATTERN)
CODE_ADVICE = "A code as /api/v1/statistics lists it under `key`, at most 64 characters."
# Durations up to this many hours are told in hours, longer ones in days.
HOURS_UP_TO = 72
# The charts' drawing: a row per bar, the labels left of the bars, the values right of them.
ROW = 28
LABEL_WIDTH = 220
BAR_SPACE = 320
CHART_WIDTH = 640


@cache
def locale_of(language: str) -> Locale:
    """Parsed once: Babel parses a locale given by name on every call, most of a table's cost."""
    return Locale.parse(language)


@cache
def district_names() -> Mapping[str, str]:
    return {district.id: district.name for district in load_districts()}


def month_before(month: str, months: int) -> str:
    year, number = int(month[:4]), int(month[5:])
    index = year * 12 + number - 1 - months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def selection_from(
    now: datetime,
    first: str | None,
    last: str | None,
    category: str | None,
    district: str | None,
    department: str | None,
) -> Selection:
    """The query's selection; the last twelve months by default. InvalidQuery names, as the
    client's query does, a month that is not YYYY-MM, a range that ends before it starts, or a
    filter that cannot be a code."""
    for name, month in (("from", first), ("to", last)):
        if month is not None and not MONTH.fullmatch(month):
            raise InvalidQuery(name, MONTH_ADVICE)
    for name, code in (("category", category), ("district", district), ("department", department)):
        if code and not CODE.fullmatch(code):
            raise InvalidQuery(name, CODE_ADVICE)
    last = last or now.astimezone(CITY_TIME).strftime("%Y-%m")
    first = first or month_before(last, MONTHS_SHOWN - 1)
    if first > last:
        raise InvalidQuery("from", "The first month must not come after the last (`to`).")
    return Selection(first, last, category or None, district or None, department or None)


@dataclass(frozen=True)
class Names:
    """Readable names of the keys of each dimension, in one language."""

    jurisdiction: Jurisdiction
    departments: Mapping[str, str]
    t: Words

    def of(self, dimension: str, key: str) -> str:
        language = self.t.language
        match dimension:
            case "category":
                known = self.jurisdiction.category(key)
                return known.names.get(language) or known.names["de"] if known else key
            case "district":
                return (
                    self.t("statistics_no_district")
                    if key == NO_DISTRICT
                    else (district_names().get(key, key))
                )
            case "department":
                return (
                    self.t("statistics_no_department")
                    if key == NO_DEPARTMENT
                    else (self.departments.get(key, key))
                )
        return format_date(date.fromisoformat(f"{key}-01"), "LLLL y", locale=locale_of(language))


@dataclass(frozen=True)
class Readable:
    """Figures as the page's table shows them, in one language."""

    t: Words

    def share(self, value: float | None) -> str:
        return "–" if value is None else format_percent(value, locale=locale_of(self.t.language))

    def duration(self, seconds: float | None) -> str:
        if seconds is None:
            return "–"
        hours = seconds / 3600
        if hours <= HOURS_UP_TO:
            return self.t("statistics_hours", value=self._number(hours))
        return self.t("statistics_days", value=self._number(hours / 24))

    def told(self, measure: str) -> Callable[[float | None], str]:
        """How a chart tells the value of `measure`, a field of Figures."""
        if measure == "reports":
            return lambda value: format_decimal(value or 0, locale=locale_of(self.t.language))
        return self.duration if measure.endswith("_s") else self.share

    def _number(self, value: float) -> str:
        return format_decimal(value, "#,##0.0", locale=locale_of(self.t.language))

    def row(self, name: str, figures: Figures) -> list[str]:
        return [
            name,
            format_decimal(figures.reports, locale=locale_of(self.t.language)),
            self.share(figures.resolved_share),
            self.duration(figures.acknowledge_median_s),
            self.duration(figures.acknowledge_p90_s),
            self.duration(figures.resolve_median_s),
            self.duration(figures.resolve_p90_s),
            self.share(figures.reopened_share),
        ]


@dataclass(frozen=True)
class Bar:
    label: str
    value: str
    y: int
    width: float


@dataclass(frozen=True)
class Chart:
    """A horizontal bar chart; the template draws it as SVG with a title and description."""

    id: str
    title: str
    description: str
    bars: list[Bar]
    width: int = CHART_WIDTH
    label_width: int = LABEL_WIDTH

    @property
    def height(self) -> int:
        return ROW * max(1, len(self.bars)) + 8


def bar_chart(
    chart_id: str,
    title: str,
    description: str,
    rows: list[tuple[str, Figures]],
    measure: Callable[[Figures], float | None],
    told: Callable[[float | None], str],
) -> Chart:
    """A bar per row that has the measure; the longest bar fills the bar space."""
    measured = [(name, measure(figures)) for name, figures in rows]
    largest = max((value for _, value in measured if value is not None), default=0.0)
    bars = [
        Bar(name, told(value), ROW * index, BAR_SPACE * value / largest if largest else 0.0)
        for index, (name, value) in enumerate((n, v) for n, v in measured if v is not None)
    ]
    return Chart(chart_id, title, description, bars)
