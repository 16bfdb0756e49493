"""The report form's address search over a fake geocoder: places inside the city to choose, the
ones outside dropped, a sentence instead of a 500 when the geocoder is down, and the JSON route."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.geography import Boundary
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.web.geocoding import Geocoder, GeocoderUnavailable, Place
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_values import Location
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import DUESSELDORF_ALTSTADT, INNER_HARBOUR, KOENIGSTRASSE
from tests.fakes import InMemoryReportRepository

DUISBURG = load_jurisdiction()
KOENIG = Place("Königstraße 12, Duisburg", Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1]))
HARBOUR = Place("Innenhafen, Duisburg", Location(lat=INNER_HARBOUR[0], lon=INNER_HARBOUR[1]))
ALTSTADT = Place(
    "Königsallee, Düsseldorf", Location(lat=DUESSELDORF_ALTSTADT[0], lon=DUESSELDORF_ALTSTADT[1])
)
A_FORM = {
    "category": "street_light_out",
    "description": "Laterne vor Nr. 12 ist dunkel.",
    "address": "Königstraße 12",
    "email": "anna@example.org",
    "different": "1",
}


class FakeGeocoder:
    """Answers every query with the same places, or fails like a geocoder that is down."""

    def __init__(self, places: list[Place], down: bool = False) -> None:
        self.places = places
        self.down = down
        self.queries: list[tuple[str, str]] = []

    async def search(self, query: str, language: str, within: Boundary) -> list[Place]:
        self.queries.append((query, language))
        if self.down:
            raise GeocoderUnavailable("connection refused")
        return self.places


@asynccontextmanager
async def site(geocoder: Geocoder | None) -> AsyncIterator[AsyncTestClient[Litestar]]:
    service = ReportService(
        InMemoryReportRepository(),
        DUISBURG,
        directory=load_directory(),
        data_keys=InMemoryDataKeys(),
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        yield

    app = build_app(
        lifespan,
        ApiSettings("https://melder.example", 200_000),
        SubmissionLimiter(50),
        geocoder=geocoder,
    )
    async with AsyncTestClient(app) as client:
        yield client


async def test_the_form_offers_address_search_only_when_a_geocoder_is_set() -> None:
    async with site(FakeGeocoder([KOENIG])) as client:
        with_search = await client.get("/report?category=street_light_out&lang=en")
    async with site(None) as client:
        without = await client.get("/report?category=street_light_out&lang=en")
    assert 'value="search"' in with_search.text
    assert "Search address" in with_search.text
    assert without.status_code == 200
    assert "Search address" not in without.text


async def test_enter_in_a_field_sends_the_report_rather_than_searching() -> None:
    async with site(FakeGeocoder([KOENIG])) as client:
        page = (await client.get("/report?category=street_light_out&lang=en")).text
    form = page[page.index('id="report-form"') :]
    # Browsers submit with the form's first submit button when Enter is pressed in a field.
    first_submit = form[form.index('type="submit"') - 200 : form.index('type="submit"') + 200]
    assert 'value="search"' not in first_submit
    assert form.index('type="submit"') < form.index('value="search"')


async def test_searching_without_javascript_shows_the_places_inside_the_city_to_choose() -> None:
    geocoder = FakeGeocoder([KOENIG, ALTSTADT, HARBOUR])
    async with site(geocoder) as client:
        page = await client.post("/report?lang=de", data={**A_FORM, "action": "search"})
    assert page.status_code == 200
    assert "Königstraße 12, Duisburg" in page.text
    assert "Innenhafen, Duisburg" in page.text
    assert "Düsseldorf" not in page.text
    assert f'name="place" value="{KOENIGSTRASSE[0]:.6f},{KOENIGSTRASSE[1]:.6f}"' in page.text
    assert "2 Orte gefunden." in page.text
    # What the citizen typed is kept, and nothing was reported yet.
    assert "Laterne vor Nr. 12 ist dunkel." in page.text
    assert geocoder.queries == [("Königstraße 12", "de")]


async def test_choosing_a_found_place_reports_it_at_that_point() -> None:
    async with site(FakeGeocoder([HARBOUR])) as client:
        chosen = f"{INNER_HARBOUR[0]:.6f},{INNER_HARBOUR[1]:.6f}"
        sent = await client.post(
            "/report", data={**A_FORM, "place": chosen}, follow_redirects=False
        )
        assert sent.status_code == 303
        token = sent.headers["location"].removeprefix("/track/").split("?")[0]
        service: ReportService = client.app.state.service
        report = await service.tracked_report(token)
    assert report.location == Location(lat=INNER_HARBOUR[0], lon=INNER_HARBOUR[1])


async def test_a_search_with_only_places_outside_the_city_says_nothing_was_found() -> None:
    async with site(FakeGeocoder([ALTSTADT])) as client:
        page = await client.post("/report?lang=en", data={**A_FORM, "action": "search"})
    assert page.status_code == 200
    assert "We did not find this address in Duisburg" in page.text
    assert 'name="place"' not in page.text


async def test_a_geocoder_that_is_down_gives_a_sentence_not_an_error() -> None:
    async with site(FakeGeocoder([KOENIG], down=True)) as client:
        page = await client.post("/report?lang=tr", data={**A_FORM, "action": "search"})
    assert page.status_code == 200
    assert "Adres arama şu anda çalışmıyor." in page.text


async def test_searching_an_empty_address_asks_for_one() -> None:
    async with site(FakeGeocoder([KOENIG])) as client:
        page = await client.post(
            "/report?lang=en", data={**A_FORM, "address": "", "action": "search"}
        )
    assert page.status_code == 400
    assert "Please type an address into the field first." in page.text


async def test_the_places_route_answers_the_script_with_places_inside_the_city() -> None:
    async with site(FakeGeocoder([ALTSTADT, KOENIG])) as client:
        answer = await client.get("/places", params={"q": "Königstraße", "lang": "en"})
    assert answer.status_code == 200
    assert answer.json() == {
        "failed": False,
        "message": "1 place found.",
        "places": [{"name": KOENIG.name, "lat": KOENIGSTRASSE[0], "lon": KOENIGSTRASSE[1]}],
    }


async def test_the_places_route_says_when_the_geocoder_is_down() -> None:
    async with site(FakeGeocoder([], down=True)) as client:
        answer = await client.get("/places", params={"q": "Königstraße", "lang": "en"})
    assert answer.status_code == 200
    assert answer.json()["failed"] is True
    assert answer.json()["places"] == []
    assert answer.json()["message"].startswith("The address search is not working right now.")


@pytest.mark.parametrize(
    ("geocoder", "query", "status", "code"),
    [
        (FakeGeocoder([KOENIG]), "  ", 400, "query_missing"),
        (None, "Königstraße", 404, "address_search_off"),
    ],
)
async def test_the_places_route_explains_a_missing_query_or_a_missing_geocoder(
    geocoder: Geocoder | None, query: str, status: int, code: str
) -> None:
    async with site(geocoder) as client:
        answer = await client.get("/places", params={"q": query, "lang": "en"})
    assert answer.status_code == status
    assert answer.json()["code"] == code
    assert answer.json()["message"]
