"""The Nominatim adapter asks for places in the city's box in the citizen's language, reads the
answer into places, and turns every kind of failure into GeocoderUnavailable."""

import httpx
import pytest

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.web.geocoding import (
    GeocoderUnavailable,
    NominatimGeocoder,
    Place,
    find_places,
)
from stadtmelder_shared.event_values import Location
from tests.examples import DUESSELDORF_ALTSTADT, KOENIGSTRASSE

BOUNDARY = load_jurisdiction().boundary
SEARCH_URL = "https://geocoder.example/search"
KOENIG_ANSWER = {
    "display_name": "Königstraße 12, Altstadt, Duisburg",
    "lat": str(KOENIGSTRASSE[0]),
    "lon": str(KOENIGSTRASSE[1]),
}
ALTSTADT_ANSWER = {
    "display_name": "Königsallee, Düsseldorf",
    "lat": str(DUESSELDORF_ALTSTADT[0]),
    "lon": str(DUESSELDORF_ALTSTADT[1]),
}


def geocoder_answering(
    handler: httpx.MockTransport | None = None, body: object = None, status: int = 200
) -> tuple[NominatimGeocoder, list[httpx.Request]]:
    asked: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(status, json=body)

    return NominatimGeocoder(SEARCH_URL, transport=handler or httpx.MockTransport(answer)), asked


async def test_the_search_is_bounded_to_the_city_and_in_the_citizens_language() -> None:
    geocoder, asked = geocoder_answering(body=[KOENIG_ANSWER])
    places = await geocoder.search("Königstraße 12", "tr", BOUNDARY)
    assert places == [
        Place(KOENIG_ANSWER["display_name"], Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1]))
    ]
    params = asked[0].url.params
    min_lon, min_lat, max_lon, max_lat = BOUNDARY.geometry.bounds
    assert params["q"] == "Königstraße 12"
    assert params["format"] == "jsonv2"
    assert params["bounded"] == "1"
    assert params["accept-language"] == "tr"
    assert params["viewbox"] == f"{min_lon},{max_lat},{max_lon},{min_lat}"


@pytest.mark.parametrize(
    ("body", "status"),
    [(None, 503), ({"error": "no"}, 200), ([{"display_name": "no point"}], 200), ("x", 200)],
)
async def test_a_failing_or_malformed_answer_is_geocoder_unavailable(
    body: object, status: int
) -> None:
    geocoder, _ = geocoder_answering(body=body, status=status)
    with pytest.raises(GeocoderUnavailable):
        await geocoder.search("Königstraße", "de", BOUNDARY)


async def test_an_unreachable_geocoder_is_geocoder_unavailable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    geocoder, _ = geocoder_answering(httpx.MockTransport(refuse))
    with pytest.raises(GeocoderUnavailable):
        await geocoder.search("Königstraße", "de", BOUNDARY)


async def test_find_places_drops_places_outside_the_city_and_reports_failure() -> None:
    geocoder, _ = geocoder_answering(body=[ALTSTADT_ANSWER, KOENIG_ANSWER])
    found = await find_places(geocoder, BOUNDARY, "Königs", "de")
    assert [place.name for place in found.places] == [KOENIG_ANSWER["display_name"]]
    assert not found.failed

    down, _ = geocoder_answering(body=None, status=500)
    failed = await find_places(down, BOUNDARY, "Königs", "de")
    assert failed.places == []
    assert failed.failed


async def test_find_places_does_not_ask_for_a_blank_query() -> None:
    geocoder, asked = geocoder_answering(body=[KOENIG_ANSWER])
    found = await find_places(geocoder, BOUNDARY, "   ", "de")
    assert found.places == []
    assert not found.failed
    assert asked == []
