"""A failed request: a browser gets the site's page in its language, a program keeps JSON."""

from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from pymongo.errors import ConnectionFailure

from stadtmelder_reports.errors import NotAllowed, TooManySubmissions
from tests.error_fakes import FailingRepository, failing_app

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.fixture
def service() -> FailingRepository:
    return FailingRepository()


@pytest.fixture
async def client(service: FailingRepository) -> AsyncIterator[AsyncTestClient[Litestar]]:
    async with AsyncTestClient(failing_app(service)) as test_client:
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


@pytest.mark.parametrize(
    ("error", "status", "title", "code"),
    [
        (NotAllowed("not your department"), 403, "Kein Zugriff", "forbidden"),
        (TooManySubmissions(90), 429, "Zu viele Anfragen", "too_many_requests"),
        (ConnectionFailure("no primary"), 503, "Gerade nicht erreichbar", "storage_unavailable"),
        (RuntimeError("a bug"), 500, "Fehler auf unserer Seite", "internal_error"),
    ],
)
async def test_a_failing_page_shows_the_site_page_of_its_status_and_the_api_keeps_json(
    client: AsyncTestClient[Litestar],
    service: FailingRepository,
    error: Exception,
    status: int,
    title: str,
    code: str,
) -> None:
    service.error = error

    page = await client.get("/reports/DU-1", headers={"accept": BROWSER})
    api = await client.get("/api/v1/reports/DU-1", headers={"accept": BROWSER})

    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert f"<h1>{title}</h1>" in page.text
    assert 'class="bottom"' in page.text, "the site's footer frames the page"
    assert "status_code" not in page.text
    assert api.status_code == status
    assert api.json()["code"] == code


async def test_too_many_requests_says_when_to_try_again(
    client: AsyncTestClient[Litestar], service: FailingRepository
) -> None:
    service.error = TooManySubmissions(90)

    response = await client.get("/reports/DU-1?lang=en", headers={"accept": BROWSER})

    assert response.headers["retry-after"] == "90"
    assert "Please try again in 2 minutes, from " in response.text


async def test_an_unexpected_failure_shows_the_logged_reference_and_no_trace(
    client: AsyncTestClient[Litestar],
    service: FailingRepository,
    caplog: pytest.LogCaptureFixture,
) -> None:
    response = await client.get("/reports/DU-1", headers={"accept": BROWSER})

    reference = response.text.split('<strong class="reference">')[1].split("<")[0]
    assert len(reference) == 8
    assert f"(reference {reference})" in caplog.text
    assert "Traceback" not in response.text
    assert "RuntimeError" not in response.text
    assert "anna@example.org" not in response.text


async def test_the_error_page_follows_the_language_chosen_before(
    client: AsyncTestClient[Litestar],
) -> None:
    client.cookies.set("lang", "tr")

    response = await client.delete("/reports", headers={"accept": BROWSER})

    assert response.status_code == 405
    assert "<h1>Bu şekilde mümkün değil</h1>" in response.text
    assert "GET" in response.headers["allow"]


async def test_a_browser_speaking_english_gets_the_english_page(
    client: AsyncTestClient[Litestar], service: FailingRepository
) -> None:
    service.error = NotAllowed("no")

    response = await client.get(
        "/reports/DU-1", headers={"accept": BROWSER, "accept-language": "en-GB,en;q=0.9"}
    )

    assert '<html lang="en">' in response.text
    assert "<h1>Access denied</h1>" in response.text
