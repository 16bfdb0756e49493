"""The alert form's problems are said in the page's language, never in the API's English."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.alerts import AlertsFeature
from stadtmelder_reports.alerts.service import AlertService
from stadtmelder_reports.alerts.store import load_districts
from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_shared.departments import load_directory
from tests.alert_fakes import InMemoryAlertStore
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import DUESSELDORF_ALTSTADT
from tests.fakes import InMemoryReportRepository

DUISBURG = load_jurisdiction()


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient[Litestar]]:
    keys = InMemoryDataKeys()
    service = ReportService(
        InMemoryReportRepository(), DUISBURG, directory=load_directory(), data_keys=keys
    )
    alerts = AlertService(InMemoryAlertStore(), DUISBURG, load_districts(), data_keys=keys)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        yield

    settings = ApiSettings("https://melder.example", max_photo_bytes=200_000)
    app = build_app(lifespan, settings, SubmissionLimiter(50), alerts=AlertsFeature(alerts))
    async with AsyncTestClient(app) as client:
        yield client


async def test_a_place_outside_the_city_is_explained_in_turkish(
    client: AsyncTestClient[Litestar],
) -> None:
    lat, lon = DUESSELDORF_ALTSTADT
    form = {"where": "point", "lat": str(lat), "lon": str(lon), "email": "anna@example.org"}

    response = await client.post("/alerts?lang=tr", data=form)

    assert response.status_code == 400
    assert "Bu yer şehir sınırlarının dışında." in response.text
    assert "lies outside" not in response.text


async def test_an_unknown_district_is_explained_in_german(
    client: AsyncTestClient[Litestar],
) -> None:
    form = {"where": "district", "district": "atlantis", "email": "anna@example.org"}

    response = await client.post("/alerts?lang=de", data=form)

    assert response.status_code == 400
    assert "Bitte wählen Sie einen Stadtbezirk aus der Liste." in response.text
    assert "Unknown district" not in response.text
