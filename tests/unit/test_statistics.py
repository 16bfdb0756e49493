"""Statistics with in-memory stores: the figures kept from events equal a brute-force count over
the same lifecycles, whatever the order and repetition of delivery, and the page and JSON show
them in each language with accessible charts."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.statistics.figures import Selection
from stadtmelder_reports.statistics.service import StatisticsService
from stadtmelder_reports.statistics.views import CODE_PATTERN
from tests.data_key_fakes import InMemoryDataKeys
from tests.fakes import InMemoryReportRepository
from tests.statistics_fakes import InMemoryFactsStore
from tests.statistics_truth import (
    DEPARTMENTS,
    Lifecycle,
    assert_equal_to_brute_force,
    brute_force,
    delivered,
    keeps,
    lifecycles,
)

DUISBURG = load_jurisdiction()
YEAR = Selection("2026-01", "2026-12")
SELECTIONS = [
    YEAR,
    Selection("2026-03", "2026-05"),
    Selection("2026-01", "2026-12", category="road_damage"),
    Selection("2026-01", "2026-12", district="district-500", department="wbd-strasse"),
    Selection("2026-06", "2026-06", district=""),
]


async def counted(lives: list[Lifecycle], seed: int = 11) -> StatisticsService:
    statistics = StatisticsService(InMemoryFactsStore())
    await statistics.rebuild()
    for _, event in delivered(lives, seed):
        await statistics.record(event)
    return statistics


async def test_figures_from_events_equal_a_brute_force_count_in_any_delivery_order() -> None:
    lives = lifecycles(600)

    first = await counted(lives, seed=11)
    second = await counted(lives, seed=99)

    assert_equal_to_brute_force(first, lives, SELECTIONS)
    assert_equal_to_brute_force(second, lives, SELECTIONS)
    total = first.breakdown(YEAR).total
    assert total.reports > 400
    assert total.reopened_share is not None
    assert 0 < total.reopened_share < 1


async def test_a_redelivered_event_changes_nothing_and_says_so() -> None:
    lives = lifecycles(3)
    statistics = await counted(lives)
    before = statistics.breakdown(YEAR)

    again = [await statistics.record(event) for _, event in delivered(lives, repeated=0)]

    assert not any(again)
    assert statistics.breakdown(YEAR) == before


async def test_the_read_model_rebuilt_from_the_stored_facts_gives_the_same_figures() -> None:
    lives = lifecycles(300)
    statistics = await counted(lives)
    rebuilt = StatisticsService(statistics.store)

    await rebuilt.rebuild()

    for selection in SELECTIONS:
        assert rebuilt.breakdown(selection) == statistics.breakdown(selection)


@pytest.fixture
async def client() -> AsyncIterator[tuple[AsyncTestClient[Litestar], StatisticsService]]:
    statistics = StatisticsService(InMemoryFactsStore())
    service = ReportService(InMemoryReportRepository(), DUISBURG, data_keys=InMemoryDataKeys())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.statistics = statistics
        yield

    app = build_app(lifespan, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(5))
    async with AsyncTestClient(app) as test_client:
        yield test_client, statistics


async def test_the_json_answers_the_brute_force_figures_in_hours(
    client: tuple[AsyncTestClient[Litestar], StatisticsService],
) -> None:
    http, statistics = client
    lives = lifecycles(200)
    await statistics.rebuild()
    for _, event in delivered(lives):
        await statistics.record(event)

    answer = (
        await http.get("/api/v1/statistics?from=2026-01&to=2026-12&category=road_damage&lang=en")
    ).json()

    expected = brute_force(lives, keeps(Selection("2026-01", "2026-12", category="road_damage")))
    assert answer["total"]["reports"] == expected["reports"]
    assert answer["total"]["resolved_share"] == expected["resolved_share"]
    median = expected["resolve_median_s"]
    assert median is not None
    assert answer["total"]["resolve_median_hours"] == round(median / 3600, 3)
    assert {row["key"] for row in answer["by_category"]} == {"road_damage"}
    assert answer["by_category"][0]["name"] == DUISBURG.category("road_damage").names["en"]  # type: ignore[union-attr]
    assert {row["key"] for row in answer["by_department"]} <= set(DEPARTMENTS)
    assert [row["key"] for row in answer["by_month"]] == sorted(
        row["key"] for row in answer["by_month"]
    )


@pytest.mark.parametrize(
    ("query", "parameter", "advice"),
    [("from=2026-13", "from", "JJJJ-MM"), ("to=26-01", "to", "JJJJ-MM"),
     ("from=2026-05&to=2026-04", "from", "JJJJ-MM"), ("from=2026-1&to=2026-02", "from", "JJJJ-MM"),
     ("category=a%20b", "category", "Liste"), ("district=%3Cx%3E", "district", "Liste"),
     ("district=%C3%92", "district", "Liste"), ("department=" + "w" * 65, "department", "Liste")],
)  # fmt: skip
async def test_a_query_not_understood_is_refused_naming_the_parameter_the_client_sent(
    client: tuple[AsyncTestClient[Litestar], StatisticsService],
    query: str,
    parameter: str,
    advice: str,
) -> None:
    http, statistics = client
    await statistics.rebuild()

    answer = await http.get(f"/api/v1/statistics?{query}")
    shown = await http.get(f"/statistics?{query}", headers={"accept": "text/html"})

    assert answer.status_code == 400
    body = answer.json()
    assert body["status_code"] == 400
    assert body["code"] == "invalid_query"
    assert [problem["field"] for problem in body["errors"]] == [parameter]
    assert body["detail"].startswith(f"The query was not understood: {parameter}: ")
    assert shown.status_code == 400
    assert shown.headers["content-type"].startswith("text/html")
    assert f"„{parameter}“ wurde nicht verstanden." in shown.text
    assert advice in shown.text


async def test_before_the_first_build_both_say_the_figures_are_coming(
    client: tuple[AsyncTestClient[Litestar], StatisticsService],
) -> None:
    http, _ = client

    answer = await http.get("/api/v1/statistics")
    shown = await http.get("/statistics?lang=en", headers={"accept": "text/html"})

    assert answer.status_code == 503
    assert answer.json()["code"] == "statistics_not_ready"
    assert shown.status_code == 503
    assert "being computed" in shown.text


@pytest.mark.parametrize(
    ("language", "heading", "label"),
    [("de", "Statistik", "Meldungen je Kategorie"), ("en", "Statistics", "Reports per category"),
     ("tr", "İstatistikler", "Kategoriye göre bildirimler")],
)  # fmt: skip
async def test_the_page_draws_each_chart_as_labelled_svg_beside_its_table(
    client: tuple[AsyncTestClient[Litestar], StatisticsService],
    language: str,
    heading: str,
    label: str,
) -> None:
    http, statistics = client
    await statistics.rebuild()
    for _, event in delivered(lifecycles(80)):
        await statistics.record(event)

    page = await http.get(
        f"/statistics?from=2026-01&to=2026-12&lang={language}", headers={"accept": "text/html"}
    )

    assert page.status_code == 200
    html = page.text
    assert f"<h1>{heading}</h1>" in html
    charts = re.findall(r"<svg[^>]*role=\"img\"[^>]*aria-labelledby=\"([\w-]+) ([\w-]+)\"", html)
    assert len(charts) == 4
    for title_id, description_id in charts:
        assert f'<title id="{title_id}">' in html
        assert f'<desc id="{description_id}">' in html
    assert f'<title id="chart-category-title">{label}</title>' in html
    assert html.count("<table") == 5
    assert html.count("<rect") >= 4
    assert "cdn" not in html.lower()
    assert 'href="/assets/statistics.css"' in html


async def test_the_document_declares_the_codes_and_months_it_accepts_and_the_range_refusal(
    client: tuple[AsyncTestClient[Litestar], StatisticsService],
) -> None:
    http, _ = client

    operation = (await http.get("/schema/openapi.json")).json()["paths"]["/api/v1/statistics"]
    parameters = {p["name"]: p["schema"] for p in operation["get"]["parameters"]}

    for code in ("category", "district", "department"):
        declared = parameters[code]
        assert (declared["pattern"], declared["maxLength"]) == (CODE_PATTERN, 64), code
        assert re.fullmatch(declared["pattern"], "district-500")
        assert not re.fullmatch(declared["pattern"], "}Ò")
    assert "`from` must not come after `to`" in operation["get"]["responses"]["400"]["description"]
