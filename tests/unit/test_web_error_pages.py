"""An unknown address: a browser gets the site's page in its language, a program keeps JSON."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import build_app
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@asynccontextmanager
async def nothing_to_open(_: Litestar) -> AsyncIterator[None]:
    yield


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = build_app(
        nothing_to_open, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(5)
    )
    async with AsyncTestClient(app) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("language", "title", "menu"),
    [
        ("de", "Nicht gefunden", "Meldungen ansehen"),
        ("en", "Not found", "See reports"),
        ("tr", "Bulunamadı", "Bildirimleri gör"),
    ],
)
async def test_a_browser_asking_for_an_unknown_page_gets_the_site_page_in_its_language(
    client: AsyncTestClient[Litestar], language: str, title: str, menu: str
) -> None:
    response = await client.get(f"/no-such-page?lang={language}", headers={"accept": BROWSER})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/html")
    assert f"<h1>{title}</h1>" in response.text
    assert menu in response.text
    assert "status_code" not in response.text


@pytest.mark.parametrize(
    ("path", "accept"),
    [
        ("/no-such-page", "application/json"),
        ("/no-such-page", "*/*"),
        ("/api/v1/no-such-thing", BROWSER),
        ("/open311/v2/no-such-thing", BROWSER),
    ],
)
async def test_programs_asking_for_an_unknown_address_keep_the_json_error(
    client: AsyncTestClient[Litestar], path: str, accept: str
) -> None:
    response = await client.get(path, headers={"accept": accept})

    assert response.status_code == 404
    assert response.headers["content-type"].startswith("application/json")
    # Open311 answers its specification's `errors` array, the API the project's error shape.
    body = response.json()
    assert body[0]["code"] == 404 if isinstance(body, list) else body["code"] == "not_found"
