"""The fleet's pages in the reports site, over the fleet's own HTTP handlers in process: the
dispatcher's emptying plan as a list with its saving and downloads, the road layer with its
legend for everyone and its evidence for staff, and a plain message when fleet is away."""

import re
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from faststream.asgi import AsgiFastStream
from faststream.kafka import KafkaBroker
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_fleet.containers.api import container_routes
from stadtmelder_fleet.containers.domain import FillReading
from stadtmelder_fleet.containers.importing import EXAMPLE_FILE, read_container_file
from stadtmelder_fleet.containers.planning import Depot
from stadtmelder_fleet.containers.service import ContainerService
from stadtmelder_fleet.road.api import layer_routes
from stadtmelder_fleet.road.domain import Piece
from stadtmelder_fleet.staff_tokens import StaffTokens
from stadtmelder_reports.app import build_app
from stadtmelder_reports.fleet_pages.reader import FleetAnswer, FleetReader, HttpFleetReader
from stadtmelder_reports.fleet_pages.views import plan_map, plan_view
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.staff.auth import LOCAL_ISSUER, LocalKeys, TokenVerifier
from stadtmelder_reports.staff.token import ensure_signing_key, issue_token
from stadtmelder_reports.web.staff_pages import SESSION_COOKIE
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.events import Location
from tests.container_fakes import InMemoryContainerStore
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


async def fleet_app(key_file: Path) -> AsgiFastStream:
    """Fleet's plan and layer handlers, checking tokens with reports' local key as deployed."""
    store = InMemoryContainerStore()
    service = ContainerService(store, Depot(DEPOT, 20_000), solver_seconds=0.3)
    await filled_examples(service, store)
    staff = StaffTokens(None, key_file, LOCAL_ISSUER, AUDIENCE)

    async def pieces() -> list[Piece]:
        return PIECES

    routes = [*container_routes(service, staff), *layer_routes(pieces, RULES, lambda: NOW, staff)]
    return AsgiFastStream(KafkaBroker(), asgi_routes=routes)


@dataclass
class Site:
    client: AsyncTestClient[Litestar]
    token: Callable[..., str]

    def sign_in(self, *roles: str) -> None:
        self.client.cookies.set(SESSION_COOKIE, self.token(*roles), path="/staff")


@asynccontextmanager
async def site_with(key_file: Path, fleet: FleetReader | None) -> AsyncIterator[Site]:
    key = ensure_signing_key(key_file)
    directory = load_directory()

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.staff_verifier = TokenVerifier(
            LocalKeys(key_file), LOCAL_ISSUER, AUDIENCE, directory
        )
        yield

    settings = ApiSettings("https://melder.example", 200_000)
    app = build_app(lifespan, settings, SubmissionLimiter(50), fleet=fleet)

    def token(*roles: str) -> str:
        return issue_token(key, "planner-1", list(roles), None, AUDIENCE)

    async with AsyncTestClient(app) as client:
        yield Site(client, token)


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    key_file = tmp_path / "staff-key.pem"
    ensure_signing_key(key_file)
    transport = httpx.ASGITransport(app=await fleet_app(key_file))
    async with site_with(key_file, HttpFleetReader("http://fleet", 5.0, transport)) as found:
        yield found


def refused(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused", request=request)


@pytest.fixture
async def fleet_away(tmp_path: Path) -> AsyncIterator[Site]:
    reader = HttpFleetReader("http://fleet", 5.0, httpx.MockTransport(refused))
    async with site_with(tmp_path / "staff-key.pem", reader) as found:
        yield found


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


async def test_a_dispatcher_sees_the_plan_as_rounds_of_stops_with_its_saving(site: Site) -> None:
    site.sign_in("dispatcher")

    page = await site.client.get(
        "/staff/emptying-plan", params={"district": "district-500", "date": DAY, "lang": "en"}
    )

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


async def test_the_plan_downloads_come_from_fleet_as_files(site: Site) -> None:
    site.sign_in("admin")
    query = {"district": "district-500", "date": DAY}

    csv_file = await site.client.get(
        "/staff/emptying-plan/export", params={**query, "format": "csv"}
    )
    as_json = await site.client.get(
        "/staff/emptying-plan/export", params={**query, "format": "json"}
    )

    assert csv_file.status_code == 200
    assert csv_file.headers["content-type"].startswith("text/csv")
    assert (
        'filename="emptying-plan-district-500-2026-03-04.csv"'
        in csv_file.headers["content-disposition"]
    )
    assert csv_file.text.splitlines()[0].startswith("route,stop,container_id")
    assert as_json.json()["saved"]["emptyings"] == 7


async def test_the_plan_page_is_for_dispatchers_and_admins_only(site: Site) -> None:
    anonymous = await site.client.get("/staff/emptying-plan", follow_redirects=False)
    site.sign_in("clerk")
    clerk = await site.client.get("/staff/emptying-plan")
    download = await site.client.get("/staff/road-conditions/export")

    assert anonymous.status_code == 303
    assert anonymous.headers["location"] == "/staff/login"
    assert clerk.status_code == 403
    assert download.status_code == 403


async def test_a_district_without_containers_is_said_on_the_page(site: Site) -> None:
    site.sign_in("dispatcher")

    page = await site.client.get(
        "/staff/emptying-plan", params={"district": "district-100", "date": DAY, "lang": "de"}
    )

    assert page.status_code == 422
    assert "Der Fahrzeugdienst konnte das nicht liefern:" in page.text
    assert "no containers are known in the district" in page.text


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

    assert page.status_code == 200
    rows = rows_of(page.text, "road-pieces")
    assert len(rows) == 2
    assert "very poor" in rows[0]
    assert "3 passes, 2 vehicles" in rows[0]
    assert "good" in rows[1]
    assert "/staff/road-conditions/export?format=csv" in page.text
    assert csv_file.status_code == 200
    assert csv_file.text.startswith("piece_id,lat,lon,condition")


@pytest.mark.parametrize(
    "path", ["/road-conditions", "/staff/road-conditions", "/staff/emptying-plan"]
)
async def test_pages_say_plainly_when_the_fleet_service_is_away(
    fleet_away: Site, path: str
) -> None:
    fleet_away.sign_in("dispatcher")

    page = await fleet_away.client.get(path, params={"lang": "en", "district": "district-500"})

    assert page.status_code == 503
    assert "The fleet service cannot be reached right now" in page.text


async def test_a_download_while_fleet_is_away_is_an_error_answer(fleet_away: Site) -> None:
    fleet_away.sign_in("dispatcher")

    answer = await fleet_away.client.get("/staff/road-conditions/export")

    assert answer.status_code == 503
    body: dict[str, Any] = answer.json()
    assert body["code"] == "fleet_unavailable"


class CountingFleet:
    """Fleet with an empty layer, counting how often it is asked."""

    def __init__(self) -> None:
        self.asked: list[str] = []

    async def get(
        self, path: str, params: Mapping[str, str], token: str | None = None
    ) -> FleetAnswer:
        self.asked.append(path)
        return FleetAnswer(200, "application/geo+json", b'{"features": []}')


async def test_the_public_map_asks_fleet_once_for_many_visitors(tmp_path: Path) -> None:
    fleet = CountingFleet()
    async with site_with(tmp_path / "staff-key.pem", fleet) as site:
        visits = [await site.client.get("/road-conditions") for _ in range(3)]

    assert [visit.status_code for visit in visits] == [200, 200, 200]
    assert fleet.asked == ["/road/conditions.geojson"]
