"""Hostile and careless requests get a 4xx with a sentence, refused before anything parses them."""

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.alerts import AlertsFeature
from stadtmelder_reports.alerts.service import AlertService
from stadtmelder_reports.alerts.store import load_districts
from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import (
    ClientDisconnected,
    InvalidReport,
    RequestTooComplex,
    RequestTooLarge,
)
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.report_forms import answers_from_form as _answers_from_form
from stadtmelder_reports.http.request_limits import (
    MAX_BODY_BYTES,
    PHOTO_ROUTES,
    BodyLimits,
    BodyWatch,
    JsonDepth,
)
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.http.submission_guards import ADDRESS_COUNTED, KEY_COUNTED
from stadtmelder_reports.integrations.api_keys import ApiClient
from stadtmelder_reports.staff.auth import LOCAL_ISSUER, LocalKeys, TokenVerifier
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.staff.sign_in.service import SignIn
from stadtmelder_reports.staff.token import ensure_signing_key, issue_token
from stadtmelder_shared.departments import load_directory
from tests.alert_fakes import InMemoryAlertStore
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository, InMemoryStaffRoster

DUISBURG = load_jurisdiction()
DIRECTORY = load_directory()
AUDIENCE = "stadtmelder-staff"
KEY = "app1.secret"
DEEP = "[" * 1000 + "]" * 1000
REPORT = {
    "category": "graffiti",
    "description": "Graffiti an der Wand der Unterführung.",
    "lat": KOENIGSTRASSE[0],
    "lon": KOENIGSTRASSE[1],
    "answers": valid_answers(DUISBURG.category("graffiti")),
    "email": "anna@example.org",
}


class OneKey:
    async def authenticate(self, api_key: str) -> ApiClient | None:
        return ApiClient("app1", "Test app", 100) if api_key == KEY else None


@dataclass
class Site:
    client: AsyncTestClient[Litestar]
    repository: InMemoryReportRepository
    clerk_token: str
    key_file: Path


def make_app(tmp_path: Path, per_minute: int = 100) -> tuple[Litestar, InMemoryReportRepository]:
    key_file = tmp_path / "staff-key.pem"
    ensure_signing_key(key_file)
    repository = InMemoryReportRepository()
    service = ReportService(repository, DUISBURG, directory=DIRECTORY, data_keys=InMemoryDataKeys())
    work = WorkService(
        repository, InMemoryAuditLog(), InMemoryStaffRoster(), DIRECTORY, DUISBURG.code
    )
    alerts = AlertService(
        InMemoryAlertStore(), DUISBURG, load_districts(), data_keys=InMemoryDataKeys()
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.work = work
        app.state.api_keys = OneKey()
        app.state.staff_verifier = TokenVerifier(
            LocalKeys(key_file), LOCAL_ISSUER, AUDIENCE, DIRECTORY
        )
        app.state.sign_in = SignIn(DIRECTORY, development_tokens=app.state.staff_verifier)
        yield

    settings = ApiSettings("https://melder.example", max_photo_bytes=200_000)
    app = build_app(lifespan, settings, SubmissionLimiter(per_minute), alerts=AlertsFeature(alerts))
    return app, repository


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    app, repository = make_app(tmp_path)
    key = ensure_signing_key(tmp_path / "staff-key.pem")
    token = issue_token(
        key, "anna.clerk", ["clerk"], "wbd-strasse", AUDIENCE, now=datetime.now(UTC)
    )
    async with AsyncTestClient(app) as client:
        yield Site(client, repository, token, tmp_path / "staff-key.pem")


def assert_refused(response: Any, status: int, *words: str) -> None:
    assert response.status_code == status, response.text
    assert len(response.content) < 64 * 1024
    for word in words:
        assert word in response.text


def url_encoded(fields: int) -> bytes:
    return "&".join(f"f{n}=x" for n in range(fields)).encode()


def multipart(parts: int) -> tuple[bytes, str]:
    boundary = "----bomb"
    body = "".join(
        f'--{boundary}\r\nContent-Disposition: form-data; name="f{n}"\r\n\r\nx\r\n'
        for n in range(parts)
    )
    return f"{body}--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}"


FORM = {"content-type": "application/x-www-form-urlencoded"}
JSON = {"content-type": "application/json"}


# --- size, fields, parts and depth, refused while the body arrives -------------------------------


async def test_a_json_body_over_64_kb_is_refused_with_413_naming_the_limit(site: Site) -> None:
    big = {**REPORT, "description": "x" * (MAX_BODY_BYTES + 1)}
    response = await site.client.post("/api/v1/reports", json=big)

    assert_refused(response, 413, "64 KB")
    assert response.json()["code"] == "request_too_large"
    assert site.repository.reports == {}


@pytest.mark.parametrize("path", ["/open311/v2/requests.json", "/alerts", "/report"])
async def test_a_form_of_many_fields_is_refused_with_400_before_it_is_parsed(
    site: Site, path: str
) -> None:
    response = await site.client.post(path, content=url_encoded(101), headers=FORM)

    assert_refused(response, 400, "more than 100 fields")


async def test_open311_refusals_keep_the_open311_error_shape(site: Site) -> None:
    response = await site.client.post(
        "/open311/v2/requests.json", content=url_encoded(101), headers=FORM
    )

    [error] = response.json()
    assert error["code"] == 400
    assert "fields" in error["description"]


async def test_a_form_of_one_hundred_fields_is_read(site: Site) -> None:
    response = await site.client.post(
        "/open311/v2/requests.json", content=url_encoded(100), headers=FORM
    )

    assert_refused(response, 403, "api_key")


async def test_a_multipart_form_of_many_parts_is_refused_with_400(site: Site) -> None:
    body, content_type = multipart(101)
    response = await site.client.post(
        "/api/v1/reports/form", content=body, headers={"content-type": content_type}
    )

    assert_refused(response, 400, "more than 100 parts")


async def test_multipart_is_held_to_64_kb_where_no_photos_are_taken(site: Site) -> None:
    response = await site.client.post(
        "/api/v1/alerts", files={"photo": ("a.jpg", b"x" * MAX_BODY_BYTES, "image/jpeg")}
    )

    assert_refused(response, 413, "64 KB")


async def test_a_photo_route_takes_multipart_above_64_kb(site: Site) -> None:
    fields = {k: str(v) for k, v in REPORT.items() if k != "answers"}
    fields["answers"] = json.dumps(REPORT["answers"])
    response = await site.client.post(
        "/api/v1/reports/form",
        data=fields,
        files={"photos": ("a.jpg", b"x" * (MAX_BODY_BYTES + 1), "image/jpeg")},
    )

    # Read, then refused by the photo check, not by the size of the body.
    assert_refused(response, 400, "photos[1]")


@pytest.mark.parametrize(
    "path",
    ["/api/v1/reports", "/api/v1/alerts", "/api/v1/staff/reports/R1/comments"],
)
async def test_json_nested_a_thousand_deep_is_refused_with_400(site: Site, path: str) -> None:
    headers = {**JSON, "authorization": f"Bearer {site.clerk_token}"}
    response = await site.client.post(path, content=DEEP, headers=headers)

    assert_refused(response, 400, "nested more than 32 levels")
    assert response.json()["code"] == "request_too_complex"


@pytest.mark.parametrize(
    "path",
    ["/api/v1/reports", "/api/v1/alerts", "/api/v1/staff/reports/R1/comments"],
)
@pytest.mark.parametrize(
    "content_type",
    [FORM["content-type"], "multipart/form-data; boundary=x", "text/plain", ""],
    ids=["form", "multipart", "text", "none"],
)
async def test_deep_json_said_to_be_another_type_is_refused_on_json_routes(
    site: Site, path: str, content_type: str
) -> None:
    headers = {"content-type": content_type, "authorization": f"Bearer {site.clerk_token}"}
    response = await site.client.post(path, content=b"[" * 30_000, headers=headers)

    assert_refused(response, 400, "nested more than 32 levels")


@pytest.mark.parametrize("path", ["/api/v1/reports/form", "/open311/v2/requests.json", "/report"])
async def test_a_text_part_over_64_kb_on_a_photo_route_is_refused_while_it_arrives(
    site: Site, path: str
) -> None:
    response = await site.client.post(
        f"{path}?api_key={KEY}",
        data={"answers": "{" + '"a":1,' * 20_000 + '"b":1}'},
        files={"photos": ("a.jpg", b"x" * 10, "image/jpeg")},
    )

    assert_refused(response, 400, "'answers'", "64 KB")


async def test_a_large_part_with_an_empty_file_name_counts_as_text(site: Site) -> None:
    big = b"x" * (MAX_BODY_BYTES + 1)
    response = await site.client.post(
        "/api/v1/reports/form", files={"answers": ("", big, "text/plain")}
    )

    assert_refused(response, 400, "'answers'", "64 KB")


def test_form_answers_longer_than_a_text_part_may_be_are_refused_unparsed() -> None:
    with pytest.raises(InvalidReport) as refused:
        _answers_from_form("{" + '"a":1,' * 20_000 + '"b":1}')

    assert "64 KB" in refused.value.problems[0].reason


async def test_deep_json_answers_inside_a_photo_form_are_a_400(site: Site) -> None:
    fields = {k: str(v) for k, v in REPORT.items() if k != "answers"}
    response = await site.client.post(
        "/api/v1/reports/form", data={**fields, "answers": DEEP}, files={"x": ("", b"", "")}
    )

    assert_refused(response, 400, "answers")


def feed_in_pieces(text: str, size: int) -> None:
    depth = JsonDepth(4)
    data = text.encode()
    for start in range(0, len(data), size):
        depth.feed(data[start : start + size])


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_brackets_inside_strings_do_not_count_as_depth_however_the_body_is_split(
    size: int,
) -> None:
    feed_in_pieces(r'{"a": "[[[[{{{{\"[[[[\\", "b": [[{"c": "]]]]"}]]}', size)
    with pytest.raises(RequestTooComplex):
        feed_in_pieces(r'{"a": "\\", "b": [[{"c": [1]}]]}', size)


async def received(
    scope_headers: list[tuple[bytes, bytes]], messages: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """What a handler would read through BodyWatch from `messages`, counting reads below it."""
    reads: list[dict[str, Any]] = []

    async def receive() -> Any:
        message = messages[len(reads)]
        reads.append(message)
        return message

    scope: Any = {"method": "POST", "path_template": "/api/v1/reports", "headers": scope_headers}
    watch = BodyWatch(scope, receive, BodyLimits(photo_body_bytes=10**7))
    while True:
        message = await watch.receive()
        if not message.get("more_body"):
            return reads


async def test_an_announced_length_over_the_limit_is_refused_before_any_byte_is_read() -> None:
    with pytest.raises(RequestTooLarge):
        await received([(b"content-length", b"28000000")], [])


async def test_a_client_gone_mid_body_is_told_apart_from_a_failure() -> None:
    first = {"type": "http.request", "body": b'{"a": ', "more_body": True}
    with pytest.raises(ClientDisconnected):
        await received([], [first, {"type": "http.disconnect"}])


async def test_a_client_gone_mid_body_is_counted_as_499_and_not_logged_as_an_error(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    messages = iter(
        [
            {"type": "http.request", "body": b'{"category": ', "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[dict[str, Any]] = []

    async def receive() -> Any:
        return next(messages)

    async def send(message: Any) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/reports",
        "raw_path": b"/api/v1/reports",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"test"), (b"content-type", b"application/json")],
        "client": ("127.0.0.9", 1234),
        "server": ("test", 80),
        "state": {},
    }
    with caplog.at_level(logging.INFO):
        await site.client.app(scope, receive, send)

    assert sent[0]["status"] == 499
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    metrics = (await site.client.get("/metrics")).text
    aborted = [
        line
        for line in metrics.splitlines()
        if line.startswith("stadtmelder_http_requests_total")
        and 'path="/api/v1/reports"' in line
        and 'method="POST"' in line
    ]
    assert any('status_code="499"' in line for line in aborted), aborted
    assert not any('status_code="500"' in line for line in aborted), aborted


def test_every_route_named_in_a_limit_table_exists(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path)
    # The form Litestar puts in scope["path_template"], which the tables are looked up by.
    routes = {
        (method, route.path_format)
        for route in app.routes
        for method in getattr(route, "methods", ())
    }
    named = PHOTO_ROUTES | set(ADDRESS_COUNTED) | KEY_COUNTED
    assert named <= routes, named - routes


# --- limits checked before the body is read -----------------------------------------------------


async def test_a_client_over_its_limit_is_refused_before_its_body_is_read(tmp_path: Path) -> None:
    app, _ = make_app(tmp_path, per_minute=1)
    async with AsyncTestClient(app) as client:
        assert (await client.post("/api/v1/reports", json=REPORT)).status_code == 201
        response = await client.post("/api/v1/reports", content=DEEP, headers=JSON)

    assert_refused(response, 429, "wait")


async def test_an_unknown_api_key_in_the_query_is_refused_before_the_body_is_read(
    site: Site,
) -> None:
    response = await site.client.post(
        "/open311/v2/requests.json?api_key=wrong", content=url_encoded(1000), headers=FORM
    )

    assert_refused(response, 403, "api_key")


async def test_a_client_over_its_limit_is_refused_support_before_its_body_is_read(
    tmp_path: Path,
) -> None:
    app, _ = make_app(tmp_path, per_minute=1)
    async with AsyncTestClient(app) as client:
        created = await client.post("/api/v1/reports", json=REPORT)
        assert created.status_code == 201
        report_id = created.json()["id"]
        response = await client.post(
            f"/api/v1/reports/{report_id}/support", content=DEEP, headers=JSON
        )

    assert_refused(response, 429, "wait")


GRAFFITI = (
    "service_code=graffiti&lat=51.43&long=6.76&email=a@example.org&description=Graffiti"
    "&attribute[offensive]=no"
)


async def test_open311_takes_the_query_key_over_the_body_key_as_its_guard_does(
    site: Site,
) -> None:
    accepted = await site.client.post(
        f"/open311/v2/requests.json?api_key={KEY}",
        content=f"api_key=stale&{GRAFFITI}",
        headers=FORM,
    )
    refused = await site.client.post(
        "/open311/v2/requests.json?api_key=stale",
        content=f"api_key={KEY}&{GRAFFITI}",
        headers=FORM,
    )

    assert accepted.status_code == 200, accepted.text
    assert_refused(refused, 403, "api_key")


# --- answers and error lists stay bounded -------------------------------------------------------


async def test_a_report_with_more_than_fifty_answers_is_one_problem(site: Site) -> None:
    answers = {f"q{n}": "x" for n in range(51)}
    response = await site.client.post("/api/v1/reports", json={**REPORT, "answers": answers})

    assert_refused(response, 400, "answers")
    assert len(response.json()["errors"]) == 1


async def test_an_open311_request_with_more_than_fifty_attributes_is_one_problem(
    site: Site,
) -> None:
    fields = "&".join(f"attribute[q{n}]=x" for n in range(60))
    body = (
        f"api_key={KEY}&service_code=graffiti&lat=51.43&long=6.76&email=a@example.org"
        f"&description=Graffiti&{fields}"
    )
    response = await site.client.post("/open311/v2/requests.json", content=body, headers=FORM)

    assert_refused(response, 400, "at most 50 answers")
    assert len(response.json()) == 1


async def test_an_error_answer_lists_twenty_problems_and_counts_the_rest(site: Site) -> None:
    answers = {f"q{n}": "x" for n in range(45)}
    response = await site.client.post("/api/v1/reports", json={**REPORT, "answers": answers})

    body = response.json()
    assert response.status_code == 400
    assert len(body["errors"]) == 20
    assert body["more_errors"] >= 25
    assert f"{body['more_errors']} more" in body["detail"]


@pytest.mark.parametrize("answer", ["Infinity", "NaN", "-inf", "1e400"])
async def test_a_number_answer_must_be_a_finite_number(site: Site, answer: str) -> None:
    answers = {**REPORT["answers"], "area_m2": answer}  # type: ignore[dict-item]
    response = await site.client.post("/api/v1/reports", json={**REPORT, "answers": answers})

    assert_refused(response, 400, "answers.area_m2", "must be a number")
    assert site.repository.reports == {}


async def test_a_json_number_too_large_for_a_float_is_a_400(site: Site) -> None:
    body = json.dumps({**REPORT, "answers": {"area_m2": 1.5}}).replace("1.5", "1e400")
    response = await site.client.post("/api/v1/reports", content=body, headers=JSON)

    assert_refused(response, 400, "out of range")
    assert site.repository.reports == {}


@pytest.mark.parametrize("answer", ["1" + "0" * 400, '"1' + "0" * 400 + '"'])
async def test_a_whole_number_too_large_for_a_float_is_a_400_saying_what_to_send(
    site: Site, answer: str
) -> None:
    body = json.dumps({**REPORT, "answers": {"area_m2": 1.5}}).replace("1.5", answer)
    response = await site.client.post("/api/v1/reports", content=body, headers=JSON)

    assert_refused(response, 400, "must be a number")
    assert site.repository.reports == {}


# --- dates beyond what a datetime can hold --------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "word"),
    [
        ("/api/v1/reports?until=9999-12-31T23:59:59-14:00", "until"),
        ("/api/v1/reports?since=0001-01-01T00:00:00%2B14:00", "since"),
        ("/open311/v2/requests.json?start_date=9999-12-31T23:59:59-14:00", "start_date"),
        ("/open311/v2/servicerequestupdates.json?end_date=0001-01-01T00:00:00Z", "end_date"),
        ("/open311/v2/requests.json?end_date=9999-12-31T23:59:59Z", "end_date"),
    ],
)
async def test_a_date_outside_what_can_be_stored_is_a_400_naming_it(
    site: Site, path: str, word: str
) -> None:
    response = await site.client.get(path)

    assert_refused(response, 400, word, "between the years 1900 and 9000")


# --- staff tokens of a kind we do not verify --------------------------------------------------


def rs256_token() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    claims = {"sub": "x", "iss": LOCAL_ISSUER, "aud": AUDIENCE, "exp": 4102444800}
    return jwt.encode({**claims, "roles": ["admin"]}, key, algorithm="RS256")


@pytest.mark.parametrize(
    ("token", "word"),
    [
        (rs256_token(), "'RS256'"),
        ("garbage", "not a JWT"),
        ("a.b.c", "not a JWT"),
        (jwt.encode({"sub": "x"}, "k" * 32, algorithm="HS256"), "'HS256'"),
    ],
)
async def test_a_token_of_another_algorithm_or_none_at_all_is_401_on_the_staff_api(
    site: Site, token: str, word: str
) -> None:
    response = await site.client.get(
        "/api/v1/staff/me", headers={"authorization": f"Bearer {token}"}
    )

    assert_refused(response, 401, word, "sign in again")


async def test_staff_pages_send_a_session_of_another_algorithm_to_the_sign_in(site: Site) -> None:
    site.client.cookies.set("stadtmelder_staff", rs256_token(), path="/staff")
    response = await site.client.get("/staff/", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/staff/login?next=%2Fstaff"


async def test_signing_in_with_a_token_of_another_algorithm_says_why(site: Site) -> None:
    login = await site.client.get("/staff/login")
    csrf = login.cookies.get("stadtmelder_staff_csrf") or ""
    response = await site.client.post(
        "/staff/login", data={"token": rs256_token(), "_csrf_token": csrf}
    )

    assert response.status_code == 401
    assert "mit einem Verfahren signiert, das dieser Server nicht annimmt" in response.text


async def test_a_staff_page_form_of_many_fields_is_refused_before_its_csrf_check(
    site: Site,
) -> None:
    response = await site.client.post("/staff/login", content=url_encoded(101), headers=FORM)

    assert_refused(response, 400, "more than 100 fields")
