"""Open311 GeoReport v2 of the running system, partly driven by an independent client library."""

import asyncio
import io
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any
from xml.etree import ElementTree

import httpx
import pytest
from georeport import GeoReport
from PIL import Image
from pymongo import AsyncMongoClient

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.integrations.api_keys import MongoApiKeyStore
from tests.conftest import LocalSystem
from tests.examples import KOENIGSTRASSE, geotagged_jpeg, valid_answers
from tests.system import wait_until

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()
V2 = "/open311/v2"
PERSONAL = {
    "email": "open311.person@example.org",
    "first_name": "Opal",
    "last_name": "Dreielf",
    "phone": "+49203311311",
    "device_id": "device-311-private",
    "account_id": "account-311-private",
}


@pytest.fixture(scope="module")
async def api_key(running_system: LocalSystem) -> str:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        running_system.mongodb_url, tz_aware=True
    )
    try:
        store = MongoApiKeyStore(client["stadtmelder_reports"])
        _, key = await store.create("open311 e2e", 1000, datetime.now(UTC))
    finally:
        await client.close()
    return key


@pytest.fixture
async def api(running_system: LocalSystem) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as client:
        yield client


def georeport(system: LocalSystem, output_format: str = "json") -> GeoReport:
    return GeoReport(
        f"{system.reports_url}{V2}", jurisdiction="duisburg.de", output_format=output_format
    )


def a_place() -> tuple[float, float]:
    """A spot of its own near the Königstraße, so a tight bbox finds only this test's reports."""
    return (
        KOENIGSTRASSE[0] + random.uniform(-0.002, 0.002),
        KOENIGSTRASSE[1] + random.uniform(-0.002, 0.002),
    )


def request_form(
    api_key: str | None, code: str = "road_damage", place: tuple[float, float] = KOENIGSTRASSE
) -> dict[str, Any]:
    category = DUISBURG.category(code)
    assert category is not None
    fields: dict[str, Any] = {
        "jurisdiction_id": "duisburg.de",
        "service_code": code,
        "lat": str(place[0]),
        "long": str(place[1]),
        "address_string": "Königstraße, Duisburg",
        "description": f"Open311-Testmeldung {code}.",
        **PERSONAL,
    }
    if api_key is not None:
        fields["api_key"] = api_key
    for question, answer in valid_answers(category).items():
        if isinstance(answer, list):
            fields[f"attribute[{question}][]"] = answer
        else:
            fields[f"attribute[{question}]"] = str(answer)
    return fields


async def post_request(api: httpx.AsyncClient, fields: dict[str, Any], **kwargs: Any) -> Any:
    response = await api.post(f"{V2}/requests.json", data=fields, **kwargs)
    assert response.status_code == 200, response.text
    [created] = response.json()
    return created


def assert_no_personal_data(text: str) -> None:
    for value in PERSONAL.values():
        assert value not in text


async def test_georeport_client_reads_services_and_definitions_in_both_formats(
    running_system: LocalSystem,
) -> None:
    for output_format in ("json", "xml"):
        client = georeport(running_system, output_format)

        services = await asyncio.to_thread(client.get_service_list)
        definition = await asyncio.to_thread(client.get_service_definition, "road_damage")

        assert [s["service_code"] for s in services] == [c.code for c in DUISBURG.categories]
        assert {s["type"] for s in services} == {"realtime"}
        assert definition["service_code"] == "road_damage"
        attributes = definition["attributes"]
        if output_format == "xml":  # xmltodict keeps the container element
            attributes = attributes["attribute"]
        assert {a["code"] for a in attributes} == {
            q.code
            for q in DUISBURG.category("road_damage").questions  # type: ignore[union-attr]
        }


async def test_discovery_points_clients_at_the_v2_endpoint(
    api: httpx.AsyncClient, running_system: LocalSystem
) -> None:
    as_json = (await api.get(f"{V2}/discovery.json")).json()
    as_xml = ElementTree.fromstring((await api.get(f"{V2}/discovery.xml")).content)

    [endpoint] = as_json["endpoints"]
    assert endpoint["url"] == f"{running_system.reports_url}{V2}"
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert as_xml.findtext("endpoints/endpoint/type") == "production"


async def test_form_encoded_request_is_read_back_by_the_georeport_client(
    api: httpx.AsyncClient, running_system: LocalSystem, api_key: str
) -> None:
    created = await post_request(api, request_form(api_key))
    request_id = created["service_request_id"]

    as_json = await asyncio.to_thread(georeport(running_system).get_service_request, request_id)
    as_xml = await asyncio.to_thread(
        georeport(running_system, "xml").get_service_request, request_id
    )
    listed = await asyncio.to_thread(
        georeport(running_system).get_service_requests, service_request_id=request_id
    )

    assert isinstance(request_id, str)
    assert as_json["service_request_id"] == as_xml["service_request_id"] == request_id
    assert as_json["service_code"] == as_xml["service_code"] == "road_damage"
    assert as_json["status"] == as_xml["status"] == "open"
    assert [r["service_request_id"] for r in listed] == [request_id]
    assert datetime.fromisoformat(as_json["requested_datetime"]).tzinfo is not None


@pytest.mark.parametrize("code", [category.code for category in DUISBURG.categories])
async def test_every_service_takes_a_request_whose_media_is_served_without_exif(
    api: httpx.AsyncClient, api_key: str, code: str
) -> None:
    photo = geotagged_jpeg(*KOENIGSTRASSE, size=(640, 480))
    assert Image.open(io.BytesIO(photo)).getexif()

    created = await post_request(
        api, request_form(api_key, code), files={"media": ("foto.jpg", photo, "image/jpeg")}
    )
    [shown] = (await api.get(f"{V2}/requests/{created['service_request_id']}.json")).json()
    served = await api.get(shown["media_url"])

    assert shown["media_url"].endswith(f"/api/v1/reports/{created['service_request_id']}/photos/1")
    assert served.status_code == 200
    image = Image.open(io.BytesIO(served.content))
    assert image.format == "JPEG"
    assert not image.getexif()
    assert b"Exif" not in served.content
    assert b"Phonemaker" not in served.content


async def test_token_of_a_new_request_leads_to_its_id(api: httpx.AsyncClient, api_key: str) -> None:
    created = await post_request(api, request_form(api_key))

    as_json = (await api.get(f"{V2}/tokens/{created['token']}.json")).json()
    as_xml = ElementTree.fromstring((await api.get(f"{V2}/tokens/{created['token']}.xml")).content)

    assert as_json == [
        {"service_request_id": created["service_request_id"], "token": created["token"]}
    ]
    assert as_xml.findtext("request/service_request_id") == created["service_request_id"]


async def test_requests_in_a_bbox_are_filtered_and_paged(
    api: httpx.AsyncClient, api_key: str
) -> None:
    place = a_place()
    ids = [
        (await post_request(api, request_form(api_key, place=place)))["service_request_id"]
        for _ in range(3)
    ]
    litter = await post_request(api, request_form(api_key, "playground_litter", place))
    bbox = f"{place[1] - 1e-6},{place[0] - 1e-6},{place[1] + 1e-6},{place[0] + 1e-6}"

    async def listed(**params: str) -> list[str]:
        response = await api.get(f"{V2}/requests.json", params={"bbox": bbox, **params})
        assert response.status_code == 200, response.text
        return [r["service_request_id"] for r in response.json()]

    everything = await listed()
    pages = [await listed(service_code="road_damage", page=str(n), page_size="2") for n in (1, 2)]

    assert set(everything) == {*ids, litter["service_request_id"]}
    assert [len(page) for page in pages] == [2, 1]
    assert set(pages[0] + pages[1]) == set(ids)
    assert await listed(service_code="playground_litter", status="open") == [
        litter["service_request_id"]
    ]
    assert await listed(status="closed") == []
    start = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
    assert await listed(start_date=start) == []


async def test_extensions_and_updates_show_the_history_once_routed(
    api: httpx.AsyncClient, api_key: str
) -> None:
    before = datetime.now(UTC) - timedelta(seconds=5)
    created = await post_request(api, request_form(api_key))
    request_id = created["service_request_id"]

    async def routed() -> dict[str, Any] | None:
        response = await api.get(f"{V2}/requests/{request_id}.json?extensions=true")
        [request] = response.json()
        notes = request["extended_attributes"]["status_notes"]
        return request if [n["detailed_status"] for n in notes] == ["submitted", "routed"] else None

    request = await wait_until(routed, timeout=60, what=f"request {request_id} to be routed")
    response = await api.get(
        f"{V2}/servicerequestupdates.json", params={"start_date": before.isoformat()}
    )
    as_xml = ElementTree.fromstring(
        (
            await api.get(
                f"{V2}/servicerequestupdates.xml", params={"start_date": before.isoformat()}
            )
        ).content
    )

    assert request["agency_responsible"]
    assert request["extended_attributes"]["supporter_count"] == 0
    updates = [u for u in response.json() if u["service_request_id"] == request_id]
    assert [u["status"] for u in updates] == ["open", "open"]
    assert all(u["update_id"] and u["description"] for u in updates)
    assert as_xml.tag == "service_request_updates"
    assert request_id in [e.findtext("service_request_id") for e in as_xml.iter("request_update")]


async def test_xml_post_and_list_use_the_spec_element_names(
    api: httpx.AsyncClient, api_key: str
) -> None:
    posted = await api.post(f"{V2}/requests.xml", data=request_form(api_key))
    created = ElementTree.fromstring(posted.content)
    request_id = created.findtext("request/service_request_id")
    listed = ElementTree.fromstring(
        (await api.get(f"{V2}/requests.xml", params={"service_request_id": request_id})).content
    )

    assert posted.status_code == 200
    assert posted.headers["content-type"].startswith("text/xml")
    assert created.tag == "service_requests"
    assert created.find("request/account_id") is not None
    assert listed.tag == "service_requests"
    request = listed.find("request")
    assert request is not None
    assert request.findtext("service_request_id") == request_id
    assert request.findtext("long") is not None


@pytest.mark.parametrize("key", [None, "deadbeef.not-a-key"])
async def test_posting_without_a_valid_key_is_403(api: httpx.AsyncClient, key: str | None) -> None:
    response = await api.post(f"{V2}/requests.json", data=request_form(key))

    assert response.status_code == 403
    [error] = response.json()
    assert error["code"] == 403
    assert "api_key" in error["description"]


async def test_unknown_jurisdiction_is_404(api: httpx.AsyncClient) -> None:
    response = await api.get(f"{V2}/services.xml", params={"jurisdiction_id": "essen.de"})

    assert response.status_code == 404
    assert ElementTree.fromstring(response.content).findtext("error/code") == "404"


async def test_unknown_service_code_on_post_is_400(api: httpx.AsyncClient, api_key: str) -> None:
    response = await api.post(
        f"{V2}/requests.json", data={**request_form(api_key), "service_code": "unicorns"}
    )

    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("service_code: ")


async def test_missing_required_attribute_is_400_naming_it(
    api: httpx.AsyncClient, api_key: str
) -> None:
    fields = request_form(api_key)
    del fields["attribute[size]"]

    response = await api.post(f"{V2}/requests.json", data=fields)

    assert response.status_code == 400
    assert any(e["description"].startswith("attribute[size]: ") for e in response.json())


async def test_no_answer_contains_the_reporters_personal_data(
    api: httpx.AsyncClient, api_key: str
) -> None:
    posted = await api.post(f"{V2}/requests.xml", data=request_form(api_key))
    request_id = ElementTree.fromstring(posted.content).findtext("request/service_request_id")
    assert request_id is not None, posted.text
    answers = [posted.text]
    for path in (
        f"{V2}/requests/{request_id}.json?extensions=true",
        f"{V2}/requests/{request_id}.xml?extensions=true",
        f"{V2}/requests.json?extensions=true",
        f"{V2}/requests.xml",
        f"{V2}/servicerequestupdates.json",
    ):
        response = await api.get(path)
        assert response.status_code == 200, response.text
        answers.append(response.text)

    assert request_id in answers[1]
    for text in answers:
        assert_no_personal_data(text)
