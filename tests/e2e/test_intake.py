"""Citizen intake over the JSON API of the running system: categories, photos, privacy, errors."""

import io
import json
import random
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from PIL import Image

from stadtmelder_reports.core.catalogue import load_jurisdiction
from tests.conftest import LocalSystem
from tests.examples import (
    DUESSELDORF_ALTSTADT,
    INNER_HARBOUR,
    KOENIGSTRASSE,
    geotagged_jpeg,
    valid_answers,
)

pytestmark = pytest.mark.e2e
DUISBURG = load_jurisdiction()
PERSONAL = {"email": "private.person@example.org", "name": "Privat Person", "phone": "+4920399887"}


def form(category: str, **changes: Any) -> dict[str, str]:
    fields: dict[str, Any] = {
        "category": category,
        "description": f"Testmeldung {category}: bitte prüfen.",
        "lat": INNER_HARBOUR[0],
        "lon": INNER_HARBOUR[1],
        "answers": json.dumps(valid_answers(DUISBURG.category(category))),
        **PERSONAL,
    }
    fields.update(changes)
    return {key: str(value) for key, value in fields.items() if value is not None}


def a_photo() -> tuple[str, bytes, str]:
    return ("foto.jpg", geotagged_jpeg(*KOENIGSTRASSE, size=(800, 600)), "image/jpeg")


@pytest.fixture
async def api(running_system: LocalSystem) -> Any:
    async with httpx.AsyncClient(base_url=running_system.reports_url, timeout=30) as client:
        yield client


def a_place_of_its_own() -> tuple[float, float]:
    """Near the Innenhafen, a point no other report shares, so a tight bbox finds only ours."""
    return (
        INNER_HARBOUR[0] + random.uniform(-0.002, 0.002),
        INNER_HARBOUR[1] + random.uniform(-0.002, 0.002),
    )


async def reports_since(api: httpx.AsyncClient, since: datetime, at: tuple[float, float]) -> int:
    """Reports stored since `since` at the point `at`: other tests' (and automatic reports
    arriving meanwhile) stand elsewhere."""
    bbox = f"{at[1] - 1e-6},{at[0] - 1e-6},{at[1] + 1e-6},{at[0] + 1e-6}"
    params: dict[str, str | int] = {"since": since.isoformat(), "bbox": bbox, "limit": 500}
    response = await api.get("/api/v1/reports", params=params)
    assert response.status_code == 200, response.text
    return len(response.json()["items"])


@pytest.mark.parametrize("category", [c.code for c in DUISBURG.categories])
async def test_every_default_category_is_reported_with_a_photo_served_without_exif(
    api: httpx.AsyncClient, category: str
) -> None:
    response = await api.post(
        "/api/v1/reports/form", data=form(category), files=[("photos", a_photo())]
    )

    assert response.status_code == 201, response.text
    body = response.json()
    assert body["category"]["code"] == category
    [photo] = body["photos"]
    served = await api.get(photo["url"])
    assert served.status_code == 200
    assert b"Exif" not in served.content
    image = Image.open(io.BytesIO(served.content))
    assert not image.getexif()
    assert image.size == (800, 600)


async def test_a_report_without_coordinates_lands_where_its_photo_was_taken(
    api: httpx.AsyncClient,
) -> None:
    response = await api.post(
        "/api/v1/reports/form",
        data=form("graffiti", lat=None, lon=None),
        files=[("photos", a_photo())],
    )

    assert response.status_code == 201, response.text
    shown = (await api.get(f"/api/v1/reports/{response.json()['id']}")).json()
    assert shown["lat"] == pytest.approx(KOENIGSTRASSE[0], abs=1e-4)
    assert shown["lon"] == pytest.approx(KOENIGSTRASSE[1], abs=1e-4)


BAD_INPUTS = [
    (
        "outside Duisburg",
        {"lat": DUESSELDORF_ALTSTADT[0], "lon": DUESSELDORF_ALTSTADT[1]},
        None,
        "location",
        "outside",
    ),
    ("unknown category", {"category": "unicorns"}, None, "category", "Unknown category"),
    ("missing answer", {"answers": "{}"}, None, "answers.container_type", "Please answer"),
    ("long description", {"description": "x" * 4001}, None, "description", "4000"),
    (
        "oversized photo",
        {},
        ("riesig.jpg", b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024 + 10), "image/jpeg"),
        "photos[1]",
        "at most 10 MB",
    ),
    (
        "not an image",
        {},
        ("brief.pdf", b"%PDF-1.7 not a photo", "application/pdf"),
        "photos[1]",
        "JPEG, PNG or WebP",
    ),
]


@pytest.mark.parametrize(
    ("changes", "upload", "field", "sentence"),
    [case[1:] for case in BAD_INPUTS],
    ids=[case[0] for case in BAD_INPUTS],
)
async def test_bad_input_gets_400_with_a_sentence_and_nothing_is_stored(
    api: httpx.AsyncClient,
    changes: dict[str, Any],
    upload: tuple[str, bytes, str] | None,
    field: str,
    sentence: str,
) -> None:
    since = datetime.now(UTC)
    own = a_place_of_its_own()
    at = (changes.get("lat", own[0]), changes.get("lon", own[1]))
    fields = form(
        changes.pop("category", "container_full"), **{"lat": at[0], "lon": at[1], **changes}
    )
    if upload is None:
        payload = {**fields, "answers": json.loads(fields["answers"])}
        response = await api.post("/api/v1/reports", json=payload)
    else:
        response = await api.post("/api/v1/reports/form", data=fields, files=[("photos", upload)])

    assert response.status_code == 400, response.text
    body = response.json()
    problem = next(e for e in body["errors"] if e["field"] == field)
    assert sentence in problem["reason"]
    assert await reports_since(api, since, at) == 0


async def test_no_public_answer_contains_the_reporters_contact(
    api: httpx.AsyncClient, running_system: LocalSystem
) -> None:
    created = await api.post(
        "/api/v1/reports/form", data=form("road_damage"), files=[("photos", a_photo())]
    )
    assert created.status_code == 201
    body = created.json()
    report_id = body["id"]
    await api.post(
        f"/api/v1/reports/{report_id}/support",
        json={"email": "supporter.secret@example.org", "name": "Geheim Unterstützer"},
    )
    public = [
        created.text,
        (await api.get(f"/api/v1/reports/{report_id}")).text,
        (await api.get("/api/v1/reports", params={"limit": 500})).text,
        (await api.get("/api/v1/reports", params={"format": "geojson", "limit": 500})).text,
        (await api.get(f"/api/v1/track/{body['tracking_token']}")).text,
        (
            await api.get(
                "/api/v1/reports/nearby",
                params={
                    "category": "road_damage",
                    "lat": INNER_HARBOUR[0],
                    "lon": INNER_HARBOUR[1],
                },
            )
        ).text,
        (await api.get("/schema/openapi.json")).text,
    ]
    photo_bytes = (await api.get(body["photos"][0]["url"])).content
    secrets = [*PERSONAL.values(), "supporter.secret@example.org", "Geheim Unterstützer"]
    for text in public:
        for secret in secrets:
            assert secret not in text
    for secret in secrets:
        assert secret.encode() not in photo_bytes
