import io
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, NoReturn

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient
from PIL import Image
from pymongo.errors import OperationFailure, ServerSelectionTimeoutError

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_shared.event_values import DepartmentRef
from stadtmelder_shared.report_events import ReportRouted, ReportSubmitted
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import DUESSELDORF_ALTSTADT, KOENIGSTRASSE, geotagged_jpeg, valid_answers
from tests.fakes import InMemoryReportRepository
from tests.support_fakes import in_memory_support

DUISBURG = load_jurisdiction()
PERSONAL = ("anna@example.org", "Anna Beispiel", "+49 203 1234567")
VALID = {
    "category": "road_damage",
    "description": "Tiefes Schlagloch auf der Königstraße, Höhe Nr. 40.",
    "lat": KOENIGSTRASSE[0],
    "lon": KOENIGSTRASSE[1],
    "answers": valid_answers(DUISBURG.category("road_damage")),
    "email": PERSONAL[0],
    "name": PERSONAL[1],
    "phone": PERSONAL[2],
}


@pytest.fixture
def repository() -> InMemoryReportRepository:
    return InMemoryReportRepository()


@pytest.fixture
async def client(repository: InMemoryReportRepository) -> AsyncIterator[AsyncTestClient[Litestar]]:
    service = ReportService(repository, DUISBURG, data_keys=InMemoryDataKeys())

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.support = in_memory_support(service, repository)
        app.state.api_keys = None

        async def ready() -> dict[str, str]:
            return {"mongodb": "ok", "kafka": "unreachable"}

        app.state.readiness = ready
        yield

    settings = ApiSettings("https://melder.example", max_photo_bytes=200_000)
    app = build_app(lifespan, settings, SubmissionLimiter(anonymous_per_minute=20))
    async with AsyncTestClient(app) as client:
        yield client


def assert_no_personal_data(text: str) -> None:
    for value in PERSONAL:
        assert value not in text


async def test_categories_have_code_name_and_questions_in_the_chosen_language(
    client: AsyncTestClient[Litestar],
) -> None:
    german = {c["code"]: c for c in (await client.get("/api/v1/categories")).json()}
    turkish = {c["code"]: c for c in (await client.get("/api/v1/categories?lang=tr")).json()}

    assert len(german) == len(DUISBURG.categories)
    light = german["street_light_out"]
    assert light["name"] == DUISBURG.category("street_light_out").names["de"]  # type: ignore[union-attr]
    assert turkish["street_light_out"]["name"] != light["name"]
    assert {q["datatype"] for c in german.values() for q in c["questions"]} >= {
        "string",
        "number",
        "datetime",
        "singlevaluelist",
        "multivaluelist",
    }
    assert german["road_damage"]["questions"][0]["stops_report"] == ["yes"]


async def test_valid_report_is_stored_and_answered_without_personal_data(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    response = await client.post("/api/v1/reports", json=VALID)

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "submitted"
    assert body["tracking_url"] == f"https://melder.example/track/{body['tracking_token']}"
    assert_no_personal_data(response.text)
    stored = repository.reports[body["id"]]
    assert stored.reporter is not None
    assert (stored.reporter.email, stored.reporter.name, stored.reporter.phone) == PERSONAL


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"category": "unicorns"}, "category"),
        ({"lat": 91}, "lat"),
        ({"lon": -181}, "lon"),
        ({"lat": DUESSELDORF_ALTSTADT[0], "lon": DUESSELDORF_ALTSTADT[1]}, "location"),
        ({"description": "x" * 4001}, "description"),
        ({"email": "not-an-address"}, "email"),
        ({"description": None}, "description"),
        ({"answers": {}}, "answers.size"),
        ({"lat": None, "lon": None}, "location"),
        ({"lon": None}, "lon"),
    ],
)
@pytest.mark.parametrize("sent_as", ["json", "multipart"])
async def test_bad_report_is_rejected_naming_the_field_and_nothing_is_stored(
    client: AsyncTestClient[Litestar],
    repository: InMemoryReportRepository,
    change: dict[str, Any],
    field: str,
    sent_as: str,
) -> None:
    if sent_as == "json":
        response = await client.post("/api/v1/reports", json={**VALID, **change})
    else:
        # An empty file part makes the request multipart/form-data without a photo.
        response = await client.post(
            "/api/v1/reports/form", data=form_fields(**change), files={"x": ("", b"", "")}
        )

    assert response.status_code == 400, response.text
    body = response.json()
    assert body["code"] in {"invalid_request", "invalid_report"}
    assert field in [error["field"] for error in body["errors"]]
    assert all(error["reason"] for error in body["errors"])
    assert body["detail"].startswith("The re")
    assert repository.reports == {}


async def test_danger_answer_gets_advice_instead_of_a_queue_place(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    answers = {**VALID["answers"], "acute_danger": "yes"}  # type: ignore[dict-item]
    response = await client.post("/api/v1/reports?lang=en", json={**VALID, "answers": answers})

    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "report_stopped"
    assert "110" in body["advice_text"] or "112" in body["advice_text"]
    assert repository.reports == {}


async def test_malformed_json_gets_a_clear_400(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    response = await client.post(
        "/api/v1/reports", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    assert response.json()["detail"]
    assert repository.reports == {}


async def test_unknown_report_is_404_with_a_reason(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/api/v1/reports/NOPE0-00000")
    assert response.status_code == 404
    assert response.json()["code"] == "report_not_found"


def form_fields(**changes: Any) -> dict[str, str]:
    fields = {k: v for k, v in {**VALID, **changes}.items() if v is not None}
    fields["answers"] = json.dumps(fields["answers"])
    return {k: str(v) for k, v in fields.items()}


async def test_multipart_report_with_a_geotagged_photo_lands_at_the_photos_place(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    photo = geotagged_jpeg(*KOENIGSTRASSE)
    response = await client.post(
        "/api/v1/reports/form",
        data=form_fields(lat=None, lon=None),
        files=[("photos", ("handy.jpg", photo, "image/jpeg"))],
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["lat"] == pytest.approx(KOENIGSTRASSE[0], abs=1e-4)
    [photo_out] = body["photos"]
    served = await client.get(photo_out["url"].removeprefix("https://melder.example"))
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/jpeg"
    assert b"Exif" not in served.content
    assert not Image.open(io.BytesIO(served.content)).getexif()
    thumbnail = await client.get(photo_out["thumbnail_url"].removeprefix("https://melder.example"))
    assert max(Image.open(io.BytesIO(thumbnail.content)).size) <= 320


@pytest.mark.parametrize(
    ("upload", "expected"),
    [
        (("notes.txt", b"just some text", "text/plain"), "JPEG, PNG or WebP"),
        (("huge.jpg", b"\xff\xd8" + b"0" * 300_000, "image/jpeg"), "MB"),
    ],
)
async def test_non_images_and_oversized_photos_are_rejected_and_nothing_is_stored(
    client: AsyncTestClient[Litestar],
    repository: InMemoryReportRepository,
    upload: tuple[str, bytes, str],
    expected: str,
) -> None:
    response = await client.post(
        "/api/v1/reports/form", data=form_fields(), files=[("photos", upload)]
    )

    assert response.status_code == 400, response.text
    [error] = response.json()["errors"]
    assert error["field"] == "photos[1]"
    assert expected in error["reason"]
    assert repository.reports == {}
    assert repository.photos == {}


async def test_json_and_form_document_the_same_fields_with_answers_as_one_object(
    client: AsyncTestClient[Litestar],
) -> None:
    schemas = (await client.get("/schema/openapi.json")).json()["components"]["schemas"]
    as_json, as_form = schemas["ReportIn"], schemas["ReportForm"]

    assert set(as_form["properties"]) == set(as_json["properties"]) | {"photos"}
    for schema in (as_json, as_form):
        answers = schema["properties"]["answers"]
        assert (answers["type"], answers["maxProperties"]) == ("object", 50)


async def test_list_filters_paginates_and_speaks_geojson(client: AsyncTestClient[Litestar]) -> None:
    ids = []
    for category in ("road_damage", "road_damage", "graffiti"):
        payload = {
            **VALID,
            "category": category,
            "answers": valid_answers(DUISBURG.category(category)),
        }
        ids.append((await client.post("/api/v1/reports", json=payload)).json()["id"])

    first = (await client.get("/api/v1/reports?category=road_damage&limit=1")).json()
    assert [item["id"] for item in first["items"]] == [ids[1]]
    second = (
        await client.get(
            f"/api/v1/reports?category=road_damage&limit=1&cursor={first['next_cursor']}"
        )
    ).json()
    assert [item["id"] for item in second["items"]] == [ids[0]]

    empty = (await client.get("/api/v1/reports?bbox=6.0,50.0,6.1,50.1")).json()
    assert empty["items"] == []

    geo = await client.get("/api/v1/reports", headers={"accept": "application/geo+json"})
    assert geo.headers["content-type"].startswith("application/geo+json")
    collection = geo.json()
    assert collection["type"] == "FeatureCollection"
    assert collection["features"][0]["geometry"] == {
        "type": "Point",
        "coordinates": [KOENIGSTRASSE[1], KOENIGSTRASSE[0]],
    }
    assert_no_personal_data(geo.text)


async def test_bad_list_parameters_get_a_400_naming_them(client: AsyncTestClient[Litestar]) -> None:
    for query, parameter in (
        ("bbox=1,2,3", "bbox"),
        ("cursor=%%%", "cursor"),
        ("limit=0", "limit"),
    ):
        response = await client.get(f"/api/v1/reports?{query}")
        assert response.status_code == 400, query
        assert parameter in [e["field"] for e in response.json()["errors"]]


async def test_a_citizen_is_offered_nearby_open_reports_and_can_support_one(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    original = (await client.post("/api/v1/reports", json=VALID)).json()

    duplicate = await client.post("/api/v1/reports", json={**VALID, "check_duplicates": True})
    assert duplicate.status_code == 409
    assert [d["report"]["id"] for d in duplicate.json()["duplicates"]] == [original["id"]]
    assert len(repository.reports) == 1

    nearby = (
        await client.get(
            "/api/v1/reports/nearby",
            params={
                "category": "road_damage",
                "lat": KOENIGSTRASSE[0],
                "lon": KOENIGSTRASSE[1] + 0.0003,
            },
        )
    ).json()
    assert [n["report"]["id"] for n in nearby] == [original["id"]]
    assert 15 < nearby[0]["distance_m"] < 30

    support = {"email": "ben@example.org", "language": "en"}
    first = await client.post(f"/api/v1/reports/{original['id']}/support", json=support)
    again = await client.post(f"/api/v1/reports/{original['id']}/support", json=support)
    assert first.json()["supporter_count"] == 1
    assert again.json()["supporter_count"] == 1
    assert "ben@example.org" not in first.text
    topics = [topic for topic, _ in repository.reports[original["id"]].pending_events]
    assert topics.count("reports.supported") == 1


async def test_tracking_link_shows_the_report_and_a_wrong_one_is_404(
    client: AsyncTestClient[Litestar],
) -> None:
    created = (await client.post("/api/v1/reports", json=VALID)).json()

    tracked = await client.get(f"/api/v1/track/{created['tracking_token']}")
    assert tracked.json()["id"] == created["id"]
    assert (await client.get("/api/v1/track/guessed")).status_code == 404


async def test_a_report_is_shown_in_the_language_the_caller_asks_for_on_every_read(
    client: AsyncTestClient[Litestar],
) -> None:
    created = (await client.post("/api/v1/reports", json=VALID)).json()
    names = DUISBURG.category("road_damage").names  # type: ignore[union-attr]
    near = {"category": "road_damage", "lat": KOENIGSTRASSE[0], "lon": KOENIGSTRASSE[1]}
    reads: dict[str, tuple[str, dict[str, Any]]] = {
        "show": (f"/api/v1/reports/{created['id']}", {}),
        "track": (f"/api/v1/track/{created['tracking_token']}", {}),
        "list": ("/api/v1/reports", {}),
        "nearby": ("/api/v1/reports/nearby", near),
    }

    def the_report(read: str, body: Any) -> Any:
        return {"list": lambda: body["items"][0], "nearby": lambda: body[0]["report"]}.get(
            read, lambda: body
        )()

    for read, (path, params) in reads.items():
        for language in ("de", "tr"):
            body = (await client.get(path, params={**params, "lang": language})).json()
            shown = the_report(read, body)["category"]["name"]
            assert shown == names[language], (read, language, body)
    document = (await client.get("/schema/openapi.json")).json()
    for path in ("/api/v1/reports/{report_id}", "/api/v1/track/{token}", "/api/v1/reports"):
        assert "lang" in {p["name"] for p in document["paths"][path]["get"]["parameters"]}, path


async def test_submissions_over_the_limit_get_429_with_retry_after(
    client: AsyncTestClient[Litestar],
) -> None:
    statuses = [
        (await client.post("/api/v1/reports", json={**VALID, "category": "x"})).status_code
        for _ in range(21)
    ]
    assert statuses[:20] == [400] * 20
    assert statuses[20] == 429
    response = await client.post("/api/v1/reports", json=VALID)
    assert response.status_code == 429
    assert int(response.headers["retry-after"]) > 0
    assert "wait" in response.json()["detail"]


async def test_routed_report_shows_its_department(
    client: AsyncTestClient[Litestar], repository: InMemoryReportRepository
) -> None:
    report_id = (await client.post("/api/v1/reports", json=VALID)).json()["id"]
    submitted = repository.reports[report_id].pending_events[0][1]
    assert isinstance(submitted, ReportSubmitted)
    service = ReportService(repository, DUISBURG, data_keys=InMemoryDataKeys())
    routed = ReportRouted(
        report_id=report_id,
        jurisdiction="duisburg",
        category=submitted.category,
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


async def test_readiness_reports_each_connection(client: AsyncTestClient[Litestar]) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "mongodb": "ok", "kafka": "unreachable"}
    assert (await client.get("/health/live")).status_code == 200


@pytest.mark.parametrize(
    ("failure", "hidden"),
    [
        (ServerSelectionTimeoutError("127.0.0.1:27017: connection refused"), "27017"),
        (OperationFailure("[collection.go:135] database is locked (5) (SQLITE_BUSY)"), "SQLITE"),
    ],
    ids=["database away", "database busy"],
)
async def test_a_submission_the_database_cannot_take_gets_503_and_a_sentence(
    client: AsyncTestClient[Litestar],
    repository: InMemoryReportRepository,
    failure: Exception,
    hidden: str,
) -> None:
    async def fails(*_: Any, **__: Any) -> None:
        raise failure

    repository.add = fails  # type: ignore[method-assign]

    response = await client.post("/api/v1/reports", json=VALID)

    assert response.status_code == 503
    assert response.headers["retry-after"] == "30"
    body = response.json()
    assert body["code"] == "storage_unavailable"
    assert "try again" in body["detail"]
    assert hidden not in response.text


async def test_an_unforeseen_failure_gets_a_body_and_is_logged_without_the_tracking_token(
    client: AsyncTestClient[Litestar],
    repository: InMemoryReportRepository,
    caplog: pytest.LogCaptureFixture,
) -> None:
    address = "@".join(("anna", "example.org"))  # in the message, not in the source line

    async def broken(*_: Any, **__: Any) -> NoReturn:
        raise RuntimeError(f"a bug near {address}")

    repository.by_tracking_token = broken  # type: ignore[method-assign]

    response = await client.get("/api/v1/track/secret-token-123")

    assert response.status_code == 500
    assert response.json()["code"] == "internal_error"
    assert "try again" in response.json()["detail"]
    assert "unexpected RuntimeError on GET" in caplog.text
    assert "secret-token-123" not in caplog.text
    assert "anna@example.org" not in caplog.text, "messages may quote what a person sent"
