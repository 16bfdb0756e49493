"""The emptying plan over HTTP: dispatchers get it as JSON, GeoJSON or CSV; others do not."""

import csv
import io
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import jwt
import pytest
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from stadtmelder_fleet.containers.api import FORECASTS_PATH, PLAN_PATH, container_routes
from stadtmelder_fleet.containers.domain import FillReading
from stadtmelder_fleet.containers.importing import EXAMPLE_FILE, read_container_file
from stadtmelder_fleet.containers.planning import Depot
from stadtmelder_fleet.containers.service import ContainerService
from stadtmelder_fleet.staff_tokens import StaffTokens
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.key_files import ensure_p256_key_pem
from tests.container_fakes import InMemoryContainerStore

DEPOT = Location(lat=51.4476, lon=6.7810)
MEASURED = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
DAY = "2026-03-04"
AUDIENCE, ISSUER = "stadtmelder-staff", "stadtmelder-local"


class Planner:
    """The plan route over the example containers; the first three fill fast, the rest slowly."""

    def __init__(self, key_file: Path) -> None:
        self.key = load_pem_private_key(ensure_p256_key_pem(key_file), password=None)
        self.store = InMemoryContainerStore()
        service = ContainerService(self.store, Depot(DEPOT, 20_000), solver_seconds=0.3)
        self.service = service
        routes = container_routes(service, StaffTokens(None, key_file, ISSUER, AUDIENCE))
        self.handlers = dict(routes)

    async def fill_examples(self) -> list[str]:
        containers = read_container_file(EXAMPLE_FILE)
        await self.service.import_containers(containers)
        for n, container in enumerate(containers):
            rate = 30.0 if n < 3 else 2.0
            for day in range(3):
                at = MEASURED - timedelta(days=2 - day)
                reading = FillReading(container.id, at, 10.0 + rate * day)
                await self.store.add_reading(reading)
        return [c.id for c in containers[:3]]

    def token(self, *roles: str, audience: str = AUDIENCE) -> str:
        now = datetime.now(UTC)
        claims: dict[str, Any] = {"sub": "someone", "roles": list(roles), "iss": ISSUER}
        claims |= {"aud": audience, "iat": now, "exp": now + timedelta(hours=1)}
        return jwt.encode(claims, self.key, algorithm="ES256")  # type: ignore[arg-type]

    async def get(self, token: str | None, path: str = PLAN_PATH, **query: str) -> httpx.Response:
        headers = {"authorization": f"Bearer {token}"} if token else {}
        transport = httpx.ASGITransport(app=self.handlers[path])
        async with httpx.AsyncClient(transport=transport, base_url="http://fleet") as http:
            return await http.get(path, params=query, headers=headers)


@pytest.fixture
def planner(tmp_path: Path) -> Planner:
    return Planner(tmp_path / "staff-signing-key.pem")


async def test_a_dispatcher_gets_the_due_containers_in_rounds_and_the_saving(
    planner: Planner,
) -> None:
    due = await planner.fill_examples()

    response = await planner.get(planner.token("dispatcher"), district="district-500", date=DAY)

    assert response.status_code == 200
    plan = response.json()
    planned = [stop["container_id"] for route in plan["routes"] for stop in route["stops"]]
    assert sorted(planned) == sorted(due)
    assert plan["emptyings"] == 3
    assert plan["saved"]["emptyings"] == 7
    assert plan["saved"]["against"] == {
        "emptyings": 10,
        "distance_km": pytest.approx(plan["distance_km"] + plan["saved"]["distance_km"], abs=0.02),
    }
    assert plan["saved"]["distance_km"] > 0
    assert plan["depot"] == {"lat": DEPOT.lat, "lon": DEPOT.lon}


async def test_the_plan_comes_as_geojson_points_and_as_csv_rows_in_driving_order(
    planner: Planner,
) -> None:
    due = await planner.fill_examples()
    token = planner.token("admin")

    geojson = await planner.get(token, district="district-500", date=DAY, format="geojson")
    sheet = await planner.get(token, district="district-500", date=DAY, format="csv")

    assert geojson.headers["content-type"] == "application/geo+json"
    features = geojson.json()["features"]
    assert sorted(f["id"] for f in features) == sorted(due)
    assert all(f["geometry"]["type"] == "Point" for f in features)
    rows = list(csv.DictReader(io.StringIO(sheet.text)))
    assert [row["container_id"] for row in rows] == [f["id"] for f in features]
    assert [int(row["stop"]) for row in rows] == list(range(1, len(rows) + 1))


@pytest.mark.parametrize(
    ("roles", "audience", "status"),
    [(None, AUDIENCE, 401), (("dispatcher",), "another-app", 401), (("clerk",), AUDIENCE, 403)],
)
async def test_only_a_dispatchers_or_admins_token_opens_the_plan(
    planner: Planner, roles: Any, audience: str, status: int
) -> None:
    await planner.fill_examples()
    token = None if roles is None else planner.token(*roles, audience=audience)

    response = await planner.get(token, district="district-500", date=DAY)

    assert response.status_code == status
    assert response.json()["code"] == {401: "not_authenticated", 403: "not_allowed"}[status]
    assert "routes" not in response.json()


@pytest.mark.parametrize(
    ("query", "status", "field"),
    [
        ({"district": "district-500", "date": "4.3.2026"}, 400, "date"),
        ({"date": DAY}, 400, "district"),
        ({"district": "district-500", "date": DAY, "format": "xlsx"}, 400, "format"),
        ({"district": "district-900", "date": DAY}, 422, None),
    ],
)
async def test_a_plan_asked_for_wrongly_is_refused_with_the_reason(
    planner: Planner, query: dict[str, str], status: int, field: str | None
) -> None:
    await planner.fill_examples()

    response = await planner.get(planner.token("dispatcher"), **query)

    assert response.status_code == status
    body = response.json()
    assert body["status_code"] == status
    assert body["detail"]
    assert [e["key"] for e in body.get("errors", [])] == ([field] if field else [])


async def test_a_dispatcher_sees_each_containers_fill_pace_and_full_day(planner: Planner) -> None:
    fast = await planner.fill_examples()

    response = await planner.get(
        planner.token("dispatcher"), path=FORECASTS_PATH, district="district-500"
    )

    assert response.status_code == 200
    rows = {row["container_id"]: row for row in response.json()}
    assert len(rows) == 10
    first = rows[fast[0]]
    assert (first["fill_percent"], first["percent_per_day"]) == (70.0, 30.0)
    assert first["full_at"] == (MEASURED + timedelta(days=1)).isoformat()
    unknown = await planner.get(planner.token("admin"), path=FORECASTS_PATH, district="x")
    assert unknown.status_code == 404
    assert (
        await planner.get(None, path=FORECASTS_PATH, district="district-500")
    ).status_code == 401
