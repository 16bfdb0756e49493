from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from stadtmelder_reports.app import build_app
from stadtmelder_reports.domain import DUISBURG_CATEGORIES
from stadtmelder_reports.service import ReportService
from stadtmelder_shared.events import DepartmentRef, ReportRouted

from tests.fakes import InMemoryReportRepository

VALID = {
    "category": "road_damage",
    "description": "Tiefes Schlagloch auf der Königstraße, Höhe Nr. 40.",
    "lat": 51.4325,
    "lon": 6.7652,
    "email": "anna@example.org",
}


@pytest.fixture
def repository() -> InMemoryReportRepository:
    return InMemoryReportRepository()


@pytest.fixture
async def client(repository: InMemoryReportRepository) -> AsyncIterator[AsyncTestClient[Litestar]]:
    service = ReportService(repository, DUISBURG_CATEGORIES, "duisburg")

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service

        async def ready() -> dict[str, str]:
            return {"mongodb": "ok", "kafka": "unreachable"}

        app.state.readiness = ready
        yield

    async with AsyncTestClient(build_app(lifespan)) as client:
        yield client


async def test_categories_have_code_and_name_in_the_chosen_language(client) -> None:
    german = (await client.get("/api/v1/categories")).json()
    english = (await client.get("/api/v1/categories?lang=en")).json()

    assert {"code": "street_light", "name": "Straßenlaterne defekt"} in german
    assert {"code": "street_light", "name": "Street light out"} in english


async def test_valid_report_is_stored_and_answered_without_personal_data(
    client, repository
) -> None:
    response = await client.post("/api/v1/reports", json=VALID)

    assert response.status_code == 201
    body = response.json()
    assert body["status"] == "submitted"
    assert body["department"] is None
    assert "anna@example.org" not in response.text
    assert repository.reports[body["id"]].reporter.email == "anna@example.org"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "unicorns"}, "category"),
        ({"lat": 91}, "lat"),
        ({"lon": -181}, "lon"),
        ({"description": "x" * 4001}, "description"),
        ({"email": "not-an-address"}, "email"),
        ({"description": None}, "description"),
    ],
)
async def test_bad_report_is_rejected_naming_the_field_and_nothing_is_stored(
    client, repository, change, field
) -> None:
    response = await client.post("/api/v1/reports", json={**VALID, **change})

    assert response.status_code == 400
    body = response.json()
    assert body["code"] in {"invalid_request", "invalid_report"}
    assert field in [error["field"] for error in body["errors"]]
    assert all(error["reason"] for error in body["errors"])
    assert repository.reports == {}


async def test_missing_field_is_named(client, repository) -> None:
    response = await client.post(
        "/api/v1/reports", json={k: v for k, v in VALID.items() if k != "lat"}
    )

    assert response.status_code == 400
    assert "lat" in [error["field"] for error in response.json()["errors"]]
    assert repository.reports == {}


async def test_malformed_json_gets_a_clear_400(client, repository) -> None:
    response = await client.post(
        "/api/v1/reports", content=b"{not json", headers={"content-type": "application/json"}
    )

    assert response.status_code == 400
    assert response.json()["detail"]
    assert repository.reports == {}


async def test_unknown_report_is_404_with_a_reason(client) -> None:
    response = await client.get("/api/v1/reports/NOPE0-00000")

    assert response.status_code == 404
    assert response.json()["code"] == "report_not_found"


async def test_routed_report_shows_its_department(client, repository) -> None:
    report_id = (await client.post("/api/v1/reports", json=VALID)).json()["id"]
    submitted = repository.reports[report_id].pending_events[0][1]
    service = ReportService(repository, DUISBURG_CATEGORIES, "duisburg")
    routed = ReportRouted(
        report_id=report_id,
        jurisdiction="duisburg",
        category=submitted.category,  # type: ignore[attr-defined]
        department=DepartmentRef(id="wbd-strasse", name="Straßen und Gehwege"),
        rule="category:road_damage",
        caused_by=submitted.event_id,
    )
    assert await service.record_routing(routed) is True
    assert await service.record_routing(routed) is False

    body = (await client.get(f"/api/v1/reports/{report_id}")).json()
    assert body["status"] == "routed"
    assert body["department"] == {"id": "wbd-strasse", "name": "Straßen und Gehwege"}
    assert [step["status"] for step in body["history"]] == ["submitted", "routed"]


async def test_readiness_reports_each_connection(client) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "mongodb": "ok", "kafka": "unreachable"}
    assert (await client.get("/health/live")).status_code == 200
