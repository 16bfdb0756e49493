"""Address search: a configurable Nominatim-compatible geocoder, limited to the jurisdiction."""

import logging
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

import httpx

from stadtmelder_reports.core.geography import Boundary
from stadtmelder_shared.event_values import Location

log = logging.getLogger(__name__)

MAX_PLACES = 5
# A citizen waits for the answer; a slow geocoder must not hold the form up.
TIMEOUT_SECONDS = 3.0
MAX_QUERY_LENGTH = 200


@dataclass(frozen=True)
class Place:
    """One found place: the name to show and its point."""

    name: str
    location: Location


class GeocoderUnavailable(Exception):
    """The geocoder did not answer usefully (down, slow or a malformed answer)."""


# Runtime-checkable: Litestar checks injected dependencies against their annotation.
@runtime_checkable
class Geocoder(Protocol):
    async def search(self, query: str, language: str, within: Boundary) -> list[Place]:
        """Places matching the query, nearest to `within` first; raises GeocoderUnavailable."""
        ...


class NominatimGeocoder:
    """Nominatim's `/search` (or a compatible server, such as an operator's own Photon proxy)."""

    def __init__(
        self,
        search_url: str,
        timeout: float = TIMEOUT_SECONDS,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.search_url = search_url
        self.timeout = timeout
        # Tests hand in httpx's mock transport; production uses the network.
        self.transport = transport

    async def search(self, query: str, language: str, within: Boundary) -> list[Place]:
        min_lon, min_lat, max_lon, max_lat = within.geometry.bounds
        params = {
            "q": query,
            "format": "jsonv2",
            "limit": str(MAX_PLACES),
            "viewbox": f"{min_lon},{max_lat},{max_lon},{min_lat}",
            "bounded": "1",
            "accept-language": language,
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
                response = await client.get(self.search_url, params=params)
                response.raise_for_status()
                found = response.json()
            return [
                Place(str(item["display_name"]), Location(lat=item["lat"], lon=item["lon"]))
                for item in found
            ]
        except (httpx.HTTPError, ValueError, KeyError, TypeError) as error:
            raise GeocoderUnavailable(str(error)) from error


@dataclass(frozen=True)
class SearchResult:
    """The places inside the jurisdiction; `failed` when the geocoder could not be asked."""

    places: list[Place]
    failed: bool = False


async def find_places(
    geocoder: Geocoder, boundary: Boundary, query: str, language: str
) -> SearchResult:
    """Places for the query inside the boundary; a geocoder fault is an empty, failed result."""
    query = query.strip()[:MAX_QUERY_LENGTH]
    if not query:
        return SearchResult([])
    try:
        found = await geocoder.search(query, language, boundary)
    except GeocoderUnavailable as error:
        log.warning("address search failed: %s", error)
        return SearchResult([], failed=True)
    # Bounded search still lets a server answer outside the box, and a box is not the city.
    inside = [place for place in found if boundary.contains(place.location)]
    return SearchResult(inside[:MAX_PLACES])
