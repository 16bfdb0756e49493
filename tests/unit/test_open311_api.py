"""The Open311 controller over an in-memory repository: both formats, errors, POST, lists."""

import io
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from datetime import timedelta
from typing import Any, NoReturn
from xml.etree import ElementTree

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from pymongo.errors import ServerSelectionTimeoutError

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import StatusChange
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.integrations.api_keys import ApiClient
from stadtmelder_shared.event_values import DepartmentRef
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import DUESSELDORF_ALTSTADT, KOENIGSTRASSE, valid_answers
from tests.fakes import InMemoryReportRepository

DUISBURG = load_jurisdiction()
BASE = "/open311/v2"
KEY = "app1.secret"
PERSONAL = ("anna@example.org", "Anna", "Beispiel", "+49 203 1234567", "device-77", "acct-42")


class OneKey:
    """The API key store with a single known key."""

    def __init__(self, submissions_per_minute: int = 100) -> None:
        self.submissions_per_minute = submissions_per_minute

    async def authenticate(self, api_key: str) -> ApiClient | None:
        if api_key != KEY:
            return None
        return ApiClient("app1", "Test app", self.submissions_per_minute)


def form(code: str = "road_damage", **changes: Any) -> dict[str, Any]:
    category = DUISBURG.category(code)
    assert category is not None
    fields: dict[str, Any] = {
        "api_key": KEY,
        "jurisdiction_id": "duisburg.de",
        "service_code": code,
        "lat": str(KOENIGSTRASSE[0]),
        "long": str(KOENIGSTRASSE[1]),
        "description": "Tiefes Schlagloch auf der Königstraße, Höhe Nr. 40.",
        "email": PERSONAL[0],
        "first_name": PERSONAL[1],
        "last_name": PERSONAL[2],
        "phone": PERSONAL[3],
        "device_id": PERSONAL[4],
        "account_id": PERSONAL[5],
    }
    for question_code, answer in valid_answers(category).items():
        if isinstance(answer, list):
            fields[f"attribute[{question_code}][]"] = answer
        else:
            fields[f"attribute[{question_code}]"] = str(answer)
    fields.update(changes)
    return {k: v for k, v in fields.items() if v is not None}


@pytest.fixture
def repository() -> InMemoryReportRepository:
    return InMemoryReportRepository()


@pytest.fixture
def service(repository: InMemoryReportRepository) -> ReportService:
    return ReportService(repository, DUISBURG, data_keys=InMemoryDataKeys())


@pytest.fixture
def keys() -> OneKey:
    return OneKey()


@pytest.fixture
async def client(service: ReportService, keys: OneKey) -> AsyncIterator[AsyncTestClient[Litestar]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.api_keys = keys
        yield

    settings = ApiSettings("https://melder.example", max_photo_bytes=200_000)
    app = build_app(lifespan, settings, SubmissionLimiter(anonymous_per_minute=20))
    async with AsyncTestClient(app) as client:
        yield client


async def post_request(client: AsyncTestClient[Litestar], **changes: Any) -> str:
    response = await client.post(f"{BASE}/requests.json", data=form(**changes))
    assert response.status_code == 200, response.text
    return str(response.json()[0]["service_request_id"])


def xml(text: str) -> ElementTree.Element:
    return ElementTree.fromstring(text.encode())


async def test_discovery_names_the_endpoint_and_both_formats(
    client: AsyncTestClient[Litestar],
) -> None:
    as_json = (await client.get(f"{BASE}/discovery.json")).json()
    as_xml = xml((await client.get(f"{BASE}/discovery.xml")).text)

    [endpoint] = as_json["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "https://melder.example/open311/v2"
    assert endpoint["type"] == "production"
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    assert {"changeset", "contact", "key_service"} <= set(as_json)
    assert as_xml.tag == "discovery"
    formats = as_xml.findall("endpoints/endpoint/formats/format")
    assert {f.text for f in formats} == {"text/xml", "application/json"}


async def test_each_format_is_labelled_with_one_charset(client: AsyncTestClient[Litestar]) -> None:
    as_xml = await client.get(f"{BASE}/services.xml")
    as_json = await client.get(f"{BASE}/services.json")
    assert as_xml.headers["content-type"] == "text/xml; charset=utf-8"
    assert as_json.headers["content-type"] == "application/json; charset=utf-8"


async def test_services_list_every_category_with_string_codes_in_both_formats(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get(f"{BASE}/services.json")
    as_xml = xml((await client.get(f"{BASE}/services.xml")).text)

    assert response.headers["content-type"].startswith("application/json")
    services = response.json()
    assert [s["service_code"] for s in services] == [c.code for c in DUISBURG.categories]
    assert all(isinstance(s["service_code"], str) for s in services)
    assert all(s["type"] == "realtime" for s in services)
    by_code = {s["service_code"]: s for s in services}
    assert by_code["road_damage"]["metadata"] is True
    assert by_code["other"]["metadata"] is False
    assert as_xml.tag == "services"
    assert [e.findtext("service_code") for e in as_xml.findall("service")] == list(by_code)
    assert as_xml.findtext("service/metadata", default="") in ("true", "false")


async def test_services_speak_the_language_asked_for(client: AsyncTestClient[Litestar]) -> None:
    german = (await client.get(f"{BASE}/services.json")).json()
    english = (await client.get(f"{BASE}/services.json?locale=en_GB")).json()
    turkish = (await client.get(f"{BASE}/services.json?lang=tr")).json()

    category = DUISBURG.categories[0]
    assert german[0]["service_name"] == category.names["de"]
    assert english[0]["service_name"] == category.names["en"]
    assert turkish[0]["service_name"] == category.names["tr"]


async def test_service_definition_lists_attributes_with_values(
    client: AsyncTestClient[Litestar],
) -> None:
    definition = (await client.get(f"{BASE}/services/road_damage.json")).json()
    as_xml = xml((await client.get(f"{BASE}/services/road_damage.xml")).text)

    category = DUISBURG.category("road_damage")
    assert category is not None
    assert definition["service_code"] == "road_damage"
    assert [a["code"] for a in definition["attributes"]] == [q.code for q in category.questions]
    size = next(a for a in definition["attributes"] if a["code"] == "size")
    assert size["variable"] is True
    assert size["datatype"] == "singlevaluelist"
    assert size["required"] is True
    assert size["values"]
    assert all(set(v) == {"key", "name"} for v in size["values"])
    assert as_xml.tag == "service_definition"
    assert as_xml.findall("attributes/attribute/values/value/key")


async def test_unknown_service_definition_is_404_in_the_format_asked_for(
    client: AsyncTestClient[Litestar],
) -> None:
    as_json = await client.get(f"{BASE}/services/unicorns.json")
    as_xml = await client.get(f"{BASE}/services/unicorns.xml")

    assert as_json.status_code == as_xml.status_code == 404
    [error] = as_json.json()
    assert error["code"] == 404
    assert "unicorns" in error["description"]
    root = xml(as_xml.text)
    assert root.tag == "errors"
    assert root.findtext("error/code") == "404"


@pytest.mark.parametrize("path", ["services.yaml", "services/road_damage.csv", "nothing.json"])
async def test_unknown_format_or_resource_is_404_in_open311_shape(
    client: AsyncTestClient[Litestar], path: str
) -> None:
    response = await client.get(f"{BASE}/{path}")

    assert response.status_code == 404
    [error] = response.json()
    assert error["code"] == 404
    assert error["description"]


@pytest.mark.parametrize("jurisdiction", ["duisburg.de", "duisburg", ""])
async def test_our_jurisdiction_ids_are_accepted(
    client: AsyncTestClient[Litestar], jurisdiction: str
) -> None:
    response = await client.get(f"{BASE}/services.json?jurisdiction_id={jurisdiction}")

    assert response.status_code == 200


async def test_unknown_jurisdiction_is_404_naming_the_one_served(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get(f"{BASE}/requests.xml?jurisdiction_id=essen.de")

    assert response.status_code == 404
    root = xml(response.text)
    assert root.findtext("error/code") == "404"
    assert "duisburg.de" in (root.findtext("error/description") or "")


async def test_form_encoded_request_is_filed_for_the_api_client(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    response = await client.post(f"{BASE}/requests.json", data=form())

    assert response.status_code == 200
    [created] = response.json()
    assert isinstance(created["service_request_id"], str)
    assert created["token"]
    assert created["account_id"] is None
    assert created["service_notice"]
    report = repository.reports[created["service_request_id"]]
    assert report.client_id == "app1"
    assert report.reporter is not None
    assert report.reporter.email == PERSONAL[0]
    assert report.reporter.name == "Anna Beispiel"
    assert report.reporter.phone == PERSONAL[3]
    for value in PERSONAL:
        assert value not in response.text


async def test_multivaluelist_answers_arrive_as_a_list(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    request_id = await post_request(
        client,
        code="playground_litter",
        **{"attribute[found][]": ["broken_glass", "needles"], "attribute[spot]": "Sandkasten"},
    )

    answers = repository.reports[request_id].answers
    assert answers["found"] == ["broken_glass", "needles"]
    assert answers["spot"] == "Sandkasten"


async def test_missing_required_attribute_is_400_naming_it(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    unanswered: dict[str, Any] = {"attribute[size]": None}
    response = await client.post(f"{BASE}/requests.json", data=form(**unanswered))

    assert response.status_code == 400
    descriptions = [error["description"] for error in response.json()]
    assert any(d.startswith("attribute[size]: ") for d in descriptions)
    assert repository.reports == {}


async def test_stopping_answer_is_400_with_the_advice_in_the_language_asked(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    category = DUISBURG.category("road_damage")
    assert category is not None
    danger = next(q for q in category.questions if q.stop)
    assert danger.stop is not None
    stop_value = sorted(danger.stop.values)[0]

    response = await client.post(
        f"{BASE}/requests.json",
        data=form(locale="en", **{f"attribute[{danger.code}]": stop_value}),
    )

    assert response.status_code == 400
    assert response.json()[0]["description"] == danger.stop.advice["en"]
    assert repository.reports == {}


@pytest.mark.parametrize("key", [None, "", "app1.wrong"])
async def test_posting_without_a_valid_api_key_is_403(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository, key: str | None
) -> None:
    response = await client.post(f"{BASE}/requests.xml", data=form(api_key=key))

    assert response.status_code == 403
    assert xml(response.text).findtext("error/code") == "403"
    assert repository.reports == {}


async def test_api_key_may_come_in_the_query_string(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post(f"{BASE}/requests.json?api_key={KEY}", data=form(api_key=None))

    assert response.status_code == 200


async def test_unknown_service_code_on_post_is_400(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    response = await client.post(f"{BASE}/requests.json", data=form(service_code="unicorns"))

    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("service_code: ")
    assert repository.reports == {}


async def test_place_outside_the_city_is_400_saying_so(client: AsyncTestClient[Litestar]) -> None:
    response = await client.post(
        f"{BASE}/requests.json",
        data=form(lat=str(DUESSELDORF_ALTSTADT[0]), long=str(DUESSELDORF_ALTSTADT[1])),
    )

    assert response.status_code == 400
    assert any("outside" in error["description"] for error in response.json())


async def test_media_url_is_not_fetched_and_the_notice_says_so(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    response = await client.post(
        f"{BASE}/requests.json", data=form(media_url="http://169.254.169.254/latest/meta-data")
    )

    [created] = response.json()
    assert "media_url" in created["service_notice"]
    assert repository.reports[created["service_request_id"]].photos == []


async def test_multipart_media_becomes_the_request_media_url(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 30)).save(buffer, "JPEG")
    fields = form()
    answers = {k: v for k, v in fields.items() if isinstance(v, list)}
    response = await client.post(
        f"{BASE}/requests.json",
        data={k: v for k, v in fields.items() if k not in answers} | answers,
        files={"media": ("photo.jpg", buffer.getvalue(), "image/jpeg")},
    )

    assert response.status_code == 200, response.text
    request_id = response.json()[0]["service_request_id"]
    [shown] = (await client.get(f"{BASE}/requests/{request_id}.json")).json()
    assert shown["media_url"] == (f"https://melder.example/api/v1/reports/{request_id}/photos/1")


async def test_a_file_that_is_no_image_is_400_naming_media(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    response = await client.post(
        f"{BASE}/requests.json",
        data=form(),
        files={"media": ("photo.jpg", b"not a photo", "image/jpeg")},
    )

    assert response.status_code == 400
    assert response.json()[0]["description"].startswith("media: ")
    assert repository.reports == {}


async def test_token_leads_to_the_request_id(client: AsyncTestClient[Litestar]) -> None:
    created = (await client.post(f"{BASE}/requests.json", data=form())).json()[0]

    found = (await client.get(f"{BASE}/tokens/{created['token']}.json")).json()
    unknown = await client.get(f"{BASE}/tokens/nope.xml")

    assert found == [
        {"service_request_id": created["service_request_id"], "token": created["token"]}
    ]
    assert unknown.status_code == 404
    assert xml(unknown.text).tag == "errors"


async def test_request_shows_spec_fields_and_no_personal_data(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    request_id = await post_request(client)

    response = await client.get(f"{BASE}/requests/{request_id}.json")
    as_xml = xml((await client.get(f"{BASE}/requests/{request_id}.xml")).text)

    [request] = response.json()
    assert request["service_request_id"] == request_id
    assert request["status"] == "open"
    assert request["service_code"] == "road_damage"
    assert request["lat"] == KOENIGSTRASSE[0]
    assert request["long"] == KOENIGSTRASSE[1]
    assert request["requested_datetime"].endswith("+00:00")
    assert request["media_url"] is None
    assert as_xml.tag == "service_requests"
    assert as_xml.findtext("request/service_request_id") == request_id
    assert as_xml.find("request/expected_datetime") is not None
    for value in PERSONAL:
        assert value not in response.text


async def test_unknown_request_is_404(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get(f"{BASE}/requests/NOPE0-00000.json")

    assert response.status_code == 404
    assert "NOPE0-00000" in response.json()[0]["description"]


async def test_requests_filter_by_status_and_service_code(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    road = await post_request(client)
    litter = await post_request(client, code="playground_litter")
    report = repository.reports[litter]
    report.status = "resolved"
    report.history.append(StatusChange("resolved", report.created_at, "e-resolved"))

    def ids(response: Any) -> list[str]:
        return [r["service_request_id"] for r in response.json()]

    assert set(ids(await client.get(f"{BASE}/requests.json"))) == {road, litter}
    assert ids(await client.get(f"{BASE}/requests.json?status=open")) == [road]
    assert ids(await client.get(f"{BASE}/requests.json?status=closed")) == [litter]
    assert ids(await client.get(f"{BASE}/requests.json?service_code=playground_litter")) == [litter]
    chosen = await client.get(f"{BASE}/requests.json?service_request_id={road},{litter}")
    assert set(ids(chosen)) == {road, litter}


async def test_requests_are_paged_newest_first(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    for _ in range(5):
        await post_request(client)
    newest_first = sorted(
        repository.reports.values(), key=lambda r: (r.created_at, r.id), reverse=True
    )

    pages = []
    for page in (1, 2, 3, 4):
        response = await client.get(f"{BASE}/requests.json?page={page}&page_size=2")
        pages.append([r["service_request_id"] for r in response.json()])

    assert pages == [
        [r.id for r in newest_first[:2]],
        [r.id for r in newest_first[2:4]],
        [r.id for r in newest_first[4:]],
        [],
    ]


@pytest.mark.parametrize(
    ("query", "named"),
    [
        ("page_size=1001", "page_size"),
        ("page=0", "page"),
        ("status=pending", "status"),
        ("start_date=yesterday", "start_date"),
        ("start_date=2026-01-01T00:00:00", "start_date"),
        ("start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "90 days"),
        ("bbox=1,2,3", "bbox"),
        ("service_code=unicorns", "service_code"),
    ],
)
async def test_bad_list_parameters_are_400_saying_what_to_fix(
    client: AsyncTestClient[Litestar], query: str, named: str
) -> None:
    response = await client.get(f"{BASE}/requests.json?{query}")

    assert response.status_code == 400
    [error] = response.json()
    assert named in error["description"]


async def test_extensions_add_history_supporters_and_photos(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    request_id = await post_request(client)
    report = repository.reports[request_id]
    report.status = "routed"
    report.department = DepartmentRef(id="wbd-strasse", name="WBD Straßen")
    report.history.append(
        StatusChange("routed", report.created_at + timedelta(seconds=2), "e-routed")
    )

    plain = (await client.get(f"{BASE}/requests.json")).json()[0]
    extended = (await client.get(f"{BASE}/requests.json?extensions=true")).json()[0]

    assert "extended_attributes" not in plain
    assert plain["agency_responsible"] == "WBD Straßen"
    attributes = extended["extended_attributes"]
    assert [n["detailed_status"] for n in attributes["status_notes"]] == ["submitted", "routed"]
    assert all(n["status"] == "open" for n in attributes["status_notes"])
    assert attributes["supporter_count"] == 0
    assert attributes["photos"] == []


async def test_updates_feed_has_one_entry_per_status_change(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    request_id = await post_request(client)
    report = repository.reports[request_id]
    report.created_at -= timedelta(hours=1)
    report.history = [
        replace(report.history[0], at=report.created_at),
        StatusChange("resolved", report.created_at + timedelta(minutes=5), "e-resolved"),
    ]
    report.status = "resolved"

    response = await client.get(f"{BASE}/servicerequestupdates.json")
    as_xml = xml((await client.get(f"{BASE}/servicerequestupdates.xml")).text)

    updates = [u for u in response.json() if u["service_request_id"] == request_id]
    assert [u["status"] for u in updates] == ["open", "closed"]
    assert updates[1]["update_id"] == "e-resolved"
    assert as_xml.tag == "service_request_updates"
    assert len(as_xml.findall("request_update")) == 2


async def test_api_client_over_its_rate_is_429_in_open311_shape(
    client: AsyncTestClient[Litestar], keys: OneKey
) -> None:
    keys.submissions_per_minute = 1
    first = await client.post(f"{BASE}/requests.json", data=form())

    second = await client.post(f"{BASE}/requests.xml", data=form())

    assert first.status_code == 200
    assert second.status_code == 429
    assert int(second.headers["retry-after"]) >= 1
    assert xml(second.text).findtext("error/code") == "429"


async def test_failure_on_our_side_is_500_in_open311_shape(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    async def broken(query: object) -> NoReturn:
        raise RuntimeError("database gone")

    repository.search = broken  # type: ignore[method-assign]

    response = await client.get(f"{BASE}/requests.xml")

    assert response.status_code == 500
    root = xml(response.text)
    assert root.tag == "errors"
    assert "database gone" not in response.text


async def test_a_token_lookup_while_the_database_is_away_is_503_and_logs_no_token(
    client: AsyncTestClient[Litestar],
    repository: InMemoryReportRepository,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def away(*_: Any, **__: Any) -> NoReturn:
        raise ServerSelectionTimeoutError("127.0.0.1:27017: connection refused")

    repository.by_tracking_token = away  # type: ignore[method-assign]

    response = await client.get(f"{BASE}/tokens/secret-token-123.json")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    [error] = response.json()
    assert "try again" in error["description"]
    assert "secret-token-123" not in caplog.text


async def test_an_unforeseen_failure_is_logged_by_route_without_its_message(
    client: AsyncTestClient[Litestar],
    repository: InMemoryReportRepository,
    caplog: pytest.LogCaptureFixture,
) -> None:
    address = "@".join(("anna", "example.org"))  # in the message, not in the source line

    async def broken(*_: Any, **__: Any) -> NoReturn:
        raise RuntimeError(f"a bug near {address}")

    repository.by_tracking_token = broken  # type: ignore[method-assign]

    response = await client.get(f"{BASE}/tokens/secret-token-123.xml")

    assert response.status_code == 500
    assert "unexpected RuntimeError on GET" in caplog.text
    assert "secret-token-123" not in caplog.text
    assert "anna@example.org" not in caplog.text
