"""The fleet's pages in the reports site, over what reports keeps of fleet's events: fleet's own
plan request handler and road announcements run in process, their events handed to reports' use
cases as its consumers would. The dispatcher's emptying plan is asked for, shown as being computed,
then as a list with its saving and downloads; the road layer has its legend for everyone and its
evidence for staff; and the pages say plainly when fleet cannot be asked or does not answer."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_fleet.containers.domain import FillReading
from stadtmelder_fleet.containers.importing import EXAMPLE_FILE, read_container_file
from stadtmelder_fleet.containers.plan_requests import answer_to
from stadtmelder_fleet.containers.planning import Depot
from stadtmelder_fleet.containers.service import ContainerService
from stadtmelder_fleet.road.announcing import conditions_changed
from stadtmelder_reports.app import build_app
from stadtmelder_reports.fleet_pages.domain import ANSWER_WAIT
from stadtmelder_reports.fleet_pages.service import FleetViews
from stadtmelder_reports.fleet_pages.views import plan_map, plan_view
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.staff.auth import LOCAL_ISSUER, LocalKeys, TokenVerifier
from stadtmelder_reports.staff.sign_in.pages import SESSION_COOKIE
from stadtmelder_reports.staff.token import ensure_signing_key
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.emptying_plans import EmptyingPlanRequested
from stadtmelder_shared.event_values import Location
from tests.container_fakes import InMemoryContainerStore
from tests.fakes import RecordingPublisher
from tests.fleet_view_fakes import InMemoryPlanStore, InMemoryRoadConditionStore
from tests.staff_sessions import session_cookie
from tests.unit.test_fleet_road_layer import NOW, PIECES, RULES

AUDIENCE = "stadtmelder-staff"
DEPOT = Location(lat=51.4476, lon=6.7810)
# The example containers are read on 2 March; by the 4th the first three are due.
MEASURED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DAY = "2026-03-04"


async def filled_examples(service: ContainerService, store: InMemoryContainerStore) -> None:
    containers = read_container_file(EXAMPLE_FILE)
    await service.import_containers(containers)
    for n, container in enumerate(containers):
        rate = 30.0 if n < 3 else 2.0
        for day in range(3):
            at = MEASURED - timedelta(days=2 - day)
            await store.add_reading(FillReading(container.id, at, 10.0 + rate * day))


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> datetime:
        return self.now


@dataclass
class Site:
    client: AsyncTestClient[Litestar]
    key: Any
    views: FleetViews
    kafka: RecordingPublisher
    fleet: ContainerService
    clock: Clock

    def sign_in(self, *roles: str) -> None:
        cookie = session_cookie(self.client.app, "planner-1", list(roles))  # type: ignore[arg-type]
        self.client.cookies.set(SESSION_COOKIE, cookie, path="/staff")

    async def fleet_answers(self) -> None:
        """Fleet's consumer answers the requests sent since, and reports' consumer keeps it."""
        requests = [e for _, e in self.kafka.published if isinstance(e, EmptyingPlanRequested)]
        self.kafka.published.clear()
        for request in requests:
            await self.views.take_answer(await answer_to(request, self.fleet))

    async def planned(self, query: dict[str, str]) -> None:
        """A dispatcher opened the plan page once, and fleet has answered the request it sent."""
        await self.client.get("/staff/emptying-plan", params=query)
        await self.fleet_answers()


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    key_file = tmp_path / "staff-key.pem"
    key = ensure_signing_key(key_file)
    directory = load_directory()
    store = InMemoryContainerStore()
    fleet = ContainerService(store, Depot(DEPOT, 20_000), solver_seconds=0.3)
    await filled_examples(fleet, store)
    kafka, clock = RecordingPublisher(), Clock()
    views = FleetViews(InMemoryRoadConditionStore(), InMemoryPlanStore(), kafka, "duisburg", clock)
    # What fleet announced of its pieces, as its store saved them.
    for event in conditions_changed(PIECES, NOW, RULES, "duisburg"):
        await views.take_conditions(event)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.staff_verifier = TokenVerifier(
            LocalKeys(key_file), LOCAL_ISSUER, AUDIENCE, directory
        )
        app.state.fleet_views = views
        yield

    app = build_app(lifespan, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(50))
    async with AsyncTestClient(app) as client:
        yield Site(client, key, views, kafka, fleet, clock)


def test_the_map_draws_each_round_from_the_depot_through_its_stops_and_back() -> None:
    plan = plan_view(
        {
            "district": "district-500",
            "date": DAY,
            "emptyings": 3,
            "distance_km": 4.2,
            "saved": {
                "emptyings": 1,
                "distance_km": 1.0,
                "against": {"emptyings": 4, "distance_km": 5.2},
            },
            "depot": {"lat": 51.44, "lon": 6.78},
            "routes": [
                {
                    "route": 1,
                    "distance_km": 3.0,
                    "load_l": 5000,
                    "stops": [stop("a", 51.43), stop("b", 51.42)],
                },
                {"route": 2, "distance_km": 1.2, "load_l": 2000, "stops": [stop("c", 51.45)]},
            ],
        }
    )

    drawn = plan_map(plan, Words("de"))

    assert [line["points"] for line in drawn["lines"]] == [
        [(51.44, 6.78), (51.43, 6.76), (51.42, 6.76), (51.44, 6.78)],
        [(51.44, 6.78), (51.45, 6.76), (51.44, 6.78)],
    ]
    assert len({line["colour"] for line in drawn["lines"]}) == 2
    assert [p["label"] for p in drawn["points"]] == ["1", "2", "1"]
    assert drawn["points"][1]["title"] == "Tour 1, 2: b (Glas)"
    assert plan.saved_emptyings == 1


def route(number: int, stops: list[dict[str, Any]]) -> dict[str, Any]:
    return {"route": number, "distance_km": 1.5, "load_l": 2000, "stops": stops}


def stop(container_id: str, lat: float) -> dict[str, Any]:
    return {
        "container_id": container_id,
        "type": "glass",
        "lat": lat,
        "lon": 6.76,
        "expected_fill_percent": 90.0,
        "full_at": None,
    }


def rows_of(html: str, table_class: str) -> list[str]:
    tables = re.findall(rf'<table class="queue {table_class}".*?</table>', html, re.S)
    return [row for table in tables for row in re.findall(r"<tr>.*?</tr>", table, re.S)[1:]]


async def test_a_plan_is_shown_as_being_computed_until_fleet_answers(site: Site) -> None:
    site.sign_in("dispatcher")
    query = {"district": "district-500", "date": DAY, "lang": "en"}

    waiting = await site.client.get("/staff/emptying-plan", params=query)
    await site.fleet_answers()
    answered = await site.client.get("/staff/emptying-plan", params=query)

    assert waiting.status_code == 200
    assert "The fleet service is computing the plan" in waiting.text
    assert '<meta http-equiv="refresh"' in waiting.text
    assert rows_of(waiting.text, "plan-stops") == []
    assert answered.status_code == 200
    assert "computing the plan" not in answered.text
    assert '<meta http-equiv="refresh"' not in answered.text


async def test_a_dispatcher_sees_the_plan_as_rounds_of_stops_with_its_saving(site: Site) -> None:
    site.sign_in("dispatcher")
    query = {"district": "district-500", "date": DAY, "lang": "en"}
    await site.planned(query)

    page = await site.client.get("/staff/emptying-plan", params=query)

    assert page.status_code == 200
    html = page.text
    assert "Emptying plan Mitte, 04.03.2026" in html
    assert "3 instead of 10 (every container of the district) – 7 saved" in html
    stops = rows_of(html, "plan-stops")
    planned = {re.search(r"example-du-mitte-\d+", row).group() for row in stops}  # type: ignore[union-attr]
    assert planned == {"example-du-mitte-01", "example-du-mitte-02", "example-du-mitte-03"}
    assert "Glass" in html
    assert "Round 1" in html
    for fmt in ("json", "geojson", "csv"):
        assert (
            f"/staff/emptying-plan/export?district=district-500&amp;date={DAY}&amp;format={fmt}"
            in html
        )


async def test_compute_again_asks_fleet_for_a_newer_plan_and_keeps_showing_the_current(
    site: Site,
) -> None:
    site.sign_in("dispatcher")
    query = {"district": "district-500", "date": DAY, "lang": "en"}
    await site.planned(query)
    page = await site.client.get("/staff/emptying-plan", params=query)
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None
    site.clock.now += timedelta(seconds=5)

    asked = await site.client.post(
        "/staff/emptying-plan",
        data={"district": "district-500", "date": DAY, "_csrf_token": csrf[1]},
        follow_redirects=False,
    )
    meanwhile = await site.client.get("/staff/emptying-plan", params=query)

    assert asked.status_code == 303
    assert asked.headers["location"] == f"/staff/emptying-plan?district=district-500&date={DAY}"
    assert len(site.kafka.published) == 1
    assert "The fleet service is computing the plan" in meanwhile.text
    assert len(rows_of(meanwhile.text, "plan-stops")) == 3


async def test_the_plan_downloads_are_made_from_the_kept_plan(site: Site) -> None:
    site.sign_in("admin")
    query = {"district": "district-500", "date": DAY}
    await site.planned(query)

    csv_file = await site.client.get(
        "/staff/emptying-plan/export", params={**query, "format": "csv"}
    )
    as_json = await site.client.get(
        "/staff/emptying-plan/export", params={**query, "format": "json"}
    )
    as_geojson = await site.client.get(
        "/staff/emptying-plan/export", params={**query, "format": "geojson"}
    )

    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert (
        'filename="emptying-plan-district-500-2026-03-04.csv"'
        in csv_file.headers["content-disposition"]
    )
    assert csv_file.text.splitlines()[0].startswith("route,stop,container_id")
    assert len(csv_file.text.splitlines()) == 4
    assert as_json.json()["saved"]["emptyings"] == 7
    assert len(as_geojson.json()["features"]) == 3


async def test_a_plan_not_computed_yet_is_no_download(site: Site) -> None:
    site.sign_in("dispatcher")

    answer = await site.client.get(
        "/staff/emptying-plan/export", params={"district": "district-500", "date": DAY}
    )

    assert answer.status_code == 404
    body: dict[str, Any] = answer.json()
    assert body["code"] == "not_found"


async def test_a_browser_asking_for_a_plan_not_computed_yet_reads_why_in_german(
    site: Site,
) -> None:
    site.sign_in("dispatcher")

    answer = await site.client.get(
        "/staff/emptying-plan/export",
        params={"district": "district-500", "date": DAY, "lang": "de"},
        headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"},
    )

    assert answer.status_code == 404
    assert answer.headers["content-type"].startswith("text/html")
    assert "Für diesen Bezirk und Tag gibt es noch keinen Leerungsplan." in answer.text
    assert "No emptying plan" not in answer.text


async def test_the_plan_page_is_for_dispatchers_and_admins_only(site: Site) -> None:
    anonymous = await site.client.get("/staff/emptying-plan", follow_redirects=False)
    site.sign_in("clerk")
    clerk = await site.client.get("/staff/emptying-plan")
    download = await site.client.get("/staff/road-conditions/export")

    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/staff/login?next=%2Fstaff%2Femptying-plan"
    assert clerk.status_code == 403
    assert download.status_code == 403
    assert site.kafka.published == []


async def test_a_district_without_containers_is_said_on_the_page_in_its_language(
    site: Site,
) -> None:
    site.sign_in("dispatcher")
    query = {"district": "district-100", "date": DAY, "lang": "de"}
    await site.planned(query)

    page = await site.client.get("/staff/emptying-plan", params=query)

    assert page.status_code == 422
    assert "Der Fahrzeugdienst konnte das nicht liefern:" in page.text
    assert "In diesem Bezirk sind keine Behälter bekannt" in page.text
    assert "no containers are known" not in page.text


async def test_the_public_map_has_a_legend_of_every_condition_class(site: Site) -> None:
    page = await site.client.get("/road-conditions", params={"lang": "de"})

    assert page.status_code == 200
    legend = re.search(r'<ul class="legend".*?</ul>', page.text, re.S)
    assert legend is not None
    names = re.findall(r'<span class="legend-name">(.*?)</span>', legend.group())
    assert names == ["gut", "mittel", "schlecht", "sehr schlecht", "unbekannt"]
    assert "1 Abschnitt" in legend.group()
    # Nothing but the class reaches the public: no evidence, no vehicles.
    assert "Überfahrten" not in page.text
    assert "wbd-truck" not in page.text


async def test_the_staff_layer_lists_the_worst_pieces_with_evidence_and_exports(
    site: Site,
) -> None:
    site.sign_in("dispatcher")

    page = await site.client.get("/staff/road-conditions", params={"lang": "en"})
    csv_file = await site.client.get("/staff/road-conditions/export", params={"format": "csv"})
    geojson = await site.client.get("/staff/road-conditions/export")

    assert page.status_code == 200
    rows = rows_of(page.text, "road-pieces")
    assert len(rows) == 2
    assert "very poor" in rows[0]
    assert "3 passes, 2 vehicles" in rows[0]
    assert "good" in rows[1]
    assert "/staff/road-conditions/export?format=csv" in page.text
    assert csv_file.status_code == 200
    assert csv_file.text.startswith("piece_id,lat,lon,condition")
    assert len(csv_file.text.splitlines()) == 3
    ring = geojson.json()["features"][0]["geometry"]["coordinates"][0]
    assert len(ring) == 7
    assert ring[0] == ring[-1]


async def test_the_plan_page_says_plainly_when_fleet_cannot_be_asked(site: Site) -> None:
    site.sign_in("dispatcher")
    site.kafka.failing = True

    page = await site.client.get(
        "/staff/emptying-plan", params={"lang": "en", "district": "district-500", "date": DAY}
    )

    assert page.status_code == 503
    assert "The fleet service cannot be reached right now" in page.text


async def test_the_plan_page_says_plainly_when_fleet_does_not_answer(site: Site) -> None:
    site.sign_in("dispatcher")
    query = {"lang": "en", "district": "district-500", "date": DAY}
    await site.client.get("/staff/emptying-plan", params=query)
    site.clock.now += ANSWER_WAIT

    page = await site.client.get("/staff/emptying-plan", params=query)

    assert page.status_code == 503
    assert "The fleet service cannot be reached right now" in page.text
    assert "Compute again" in page.text


async def test_a_newer_plan_that_does_not_come_leaves_the_current_one_with_a_word_why(
    site: Site,
) -> None:
    site.sign_in("dispatcher")
    query = {"lang": "en", "district": "district-500", "date": DAY}
    await site.planned(query)
    site.clock.now += timedelta(seconds=5)
    await site.views.ask("district-500", date.fromisoformat(DAY), "planner-1")
    site.clock.now += ANSWER_WAIT

    page = await site.client.get("/staff/emptying-plan", params=query)

    assert page.status_code == 200
    assert "The fleet service cannot be reached right now" in page.text
    assert len(rows_of(page.text, "plan-stops")) == 3
    assert '<meta http-equiv="refresh"' not in page.text


async def test_the_public_map_is_drawn_once_for_many_visitors(site: Site) -> None:
    first = await site.client.get("/road-conditions", params={"lang": "de"})
    for event in conditions_changed(PIECES, NOW, RULES, "duisburg"):
        rough = [piece.model_copy(update={"condition": "very_poor"}) for piece in event.pieces]
        await site.views.take_conditions(event.model_copy(update={"pieces": rough}))
    later = await site.client.get("/road-conditions", params={"lang": "de"})

    def legend(html: str) -> str:
        found = re.search(r'<ul class="legend".*?</ul>', html, re.S)
        assert found is not None
        return found.group()

    # Read again only after PUBLIC_LAYER_FRESH_S: still the layer drawn first.
    assert legend(later.text) == legend(first.text)
    assert "1 Abschnitt" in legend(later.text)
