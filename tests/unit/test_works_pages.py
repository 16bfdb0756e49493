"""The works in the site: the public list and map at /works, the JSON API with its filters and
the form's sentence, and /staff/works where dispatchers enter, edit and withdraw works."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import build_app
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.staff.auth import LOCAL_ISSUER, LocalKeys, TokenVerifier
from stadtmelder_reports.staff.sign_in.pages import SESSION_COOKIE
from stadtmelder_reports.staff.token import ensure_signing_key
from stadtmelder_reports.works.api import DAY_PATTERN
from stadtmelder_reports.works.domain import works_from_values
from stadtmelder_reports.works.service import WorksRegister
from stadtmelder_reports.works.texts import city_today
from stadtmelder_shared.departments import load_directory
from tests.staff_sessions import session_cookie
from tests.works_fakes import InMemoryWorksStore

AUDIENCE = "stadtmelder-staff"
SQUARE = "POLYGON ((6.76 51.43, 6.77 51.43, 6.77 51.44, 6.76 51.44, 6.76 51.43))"
FAR_SQUARE = "POLYGON ((6.70 51.47, 6.71 51.47, 6.71 51.48, 6.70 51.48, 6.70 51.47))"


def works(works_id: str, since: date, until: date, geometry: str = SQUARE, **more: str) -> Any:
    values = {"id": works_id, "title": f"Kanalsanierung {works_id}", "operator": "Firma X"}
    values |= {"from": since.isoformat(), "until": until.isoformat(), "geometry": geometry}
    return works_from_values(values | more)


@dataclass
class Site:
    client: AsyncTestClient[Litestar]
    key: Any
    store: InMemoryWorksStore

    def sign_in(self, *roles: str) -> None:
        cookie = session_cookie(self.client.app, "planner-1", list(roles))  # type: ignore[arg-type]
        self.client.cookies.set(SESSION_COOKIE, cookie, path="/staff")

    async def csrf(self, path: str = "/staff/works") -> str:
        found = re.search(r'name="_csrf_token" value="([^"]+)"', (await self.client.get(path)).text)
        assert found is not None
        return found[1]


@pytest.fixture
async def site(tmp_path: Path) -> AsyncIterator[Site]:
    key_file = tmp_path / "staff-key.pem"
    key = ensure_signing_key(key_file)
    store = InMemoryWorksStore()
    register = WorksRegister(store)
    today = city_today()
    await register.import_works(
        [
            works("current", today - timedelta(days=3), today + timedelta(days=30)),
            works("planned", today + timedelta(days=10), today + timedelta(days=40), FAR_SQUARE),
            works("past", today - timedelta(days=90), today - timedelta(days=60)),
        ]
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.staff_verifier = TokenVerifier(
            LocalKeys(key_file), LOCAL_ISSUER, AUDIENCE, load_directory()
        )
        app.state.works_register = register
        yield

    app = build_app(lifespan, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(50))
    async with AsyncTestClient(app) as client:
        yield Site(client, key, store)


async def test_the_public_page_lists_current_and_planned_works_not_past_ones(site: Site) -> None:
    page = await site.client.get("/works", params={"lang": "de"})

    assert page.status_code == 200
    assert "Kanalsanierung current" in page.text
    assert "Kanalsanierung planned" in page.text
    assert "Kanalsanierung past" not in page.text
    assert page.text.index("Laufende Baustellen") < page.text.index("Kanalsanierung current")
    assert page.text.index("Geplante Baustellen") < page.text.index("Kanalsanierung planned")


async def test_the_api_lists_current_and_planned_works_filtered_by_box_and_days(
    site: Site,
) -> None:
    everything = (await site.client.get("/api/v1/works")).json()["works"]
    in_box = await site.client.get("/api/v1/works", params={"bbox": "6.755,51.425,6.775,51.445"})
    until = (city_today() + timedelta(days=5)).isoformat()
    by_then = await site.client.get("/api/v1/works", params={"until": until})

    assert {(w["id"], w["phase"]) for w in everything} == {
        ("current", "current"),
        ("planned", "planned"),
    }
    assert everything[0]["geometry"]["type"] == "Polygon"
    assert [w["id"] for w in in_box.json()["works"]] == ["current"]
    assert [w["id"] for w in by_then.json()["works"]] == ["current"]


async def test_a_bad_box_or_day_is_refused_naming_the_parameter(site: Site) -> None:
    box = await site.client.get("/api/v1/works", params={"bbox": "6.7,51.4"})
    day = await site.client.get("/api/v1/works", params={"from": "12.03.2027"})

    assert (box.status_code, box.json()["errors"][0]["field"]) == (400, "bbox")
    assert (day.status_code, day.json()["errors"][0]["field"]) == (400, "from")


async def test_the_document_declares_the_days_it_accepts_and_a_range_refusal(site: Site) -> None:
    document = (await site.client.get("/schema/openapi.json")).json()
    operation = document["paths"]["/api/v1/works"]["get"]
    compact = await site.client.get("/api/v1/works", params={"until": "20271231"})

    parameters = {p["name"]: p["schema"] for p in operation["parameters"]}
    assert parameters["from"]["pattern"] == parameters["until"]["pattern"] == DAY_PATTERN
    assert "`until` must not lie before `from`" in operation["responses"]["400"]["description"]
    assert (compact.status_code, compact.json()["errors"][0]["field"]) == (400, "until")


async def test_the_form_is_told_which_works_a_place_lies_in_in_its_language(site: Site) -> None:
    until = city_today() + timedelta(days=30)
    here = await site.client.get("/api/v1/works/here", params={"lat": 51.435, "lon": 6.765})
    english = await site.client.get(
        "/api/v1/works/here", params={"lat": 51.435, "lon": 6.765, "lang": "en"}
    )
    elsewhere = await site.client.get("/api/v1/works/here", params={"lat": 51.3, "lon": 6.7})

    (sentence,) = here.json()["sentences"]
    assert sentence.startswith(f"Hier wird bis {until:%d.%m.}")
    assert "gebaut: Kanalsanierung current, Firma X" in sentence
    assert english.json()["sentences"][0].startswith("Works here until")
    assert elsewhere.json() == {"works": [], "sentences": []}


async def test_staff_works_are_for_dispatchers_and_admins(site: Site) -> None:
    site.sign_in("clerk")
    refused = await site.client.get("/staff/works")
    site.sign_in("dispatcher")
    shown = await site.client.get("/staff/works")

    assert refused.status_code == 403
    assert "Baustellen tragen Disposition und Verwaltung ein." in refused.text
    assert shown.status_code == 200
    assert "Kanalsanierung past" in shown.text
    # Shown by its script once the map is there: without scripts the field is typed.
    assert '<button type="button" class="button button-secondary" id="works-from-map" hidden>' in (
        shown.text
    )


async def test_a_dispatcher_enters_works_as_a_rectangle_and_withdraws_them(site: Site) -> None:
    site.sign_in("dispatcher")
    form = {
        "id": "new-1",
        "title": "Leitungsbau",
        "operator": "Stadtwerke",
        "from": "2027-01-04",
        "until": "2027-02-26",
        "rectangle": "6.78,51.42,6.79,51.43",
        "_csrf_token": await site.csrf(),
    }

    saved = await site.client.post("/staff/works", data=form)
    kept = site.store.kept["new-1"]
    withdrawn = await site.client.post(
        "/staff/works/new-1/withdraw", data={"_csrf_token": await site.csrf()}
    )

    assert saved.status_code == 200  # followed the 303 to the list
    assert "Baustelle new-1 gespeichert" in saved.text or "new-1" in saved.text
    assert kept.works.shape().bounds == (6.78, 51.42, 6.79, 51.43)
    assert withdrawn.status_code == 200
    assert site.store.kept["new-1"].works.withdrawn


async def test_a_form_with_a_bad_outline_is_answered_in_its_language_with_the_values_kept(
    site: Site,
) -> None:
    site.sign_in("admin")
    form = {
        "id": "bad-1",
        "title": "Leitungsbau",
        "operator": "Stadtwerke",
        "from": "2027-01-04",
        "until": "2027-02-26",
        "geometry": '{"type": "Point", "coordinates": [6.78, 51.42]}',
        "_csrf_token": await site.csrf(),
    }

    answer = await site.client.post("/staff/works", data=form, params={"lang": "de"})

    assert answer.status_code == 400
    assert "Nicht gespeichert: Die Geometrie lässt sich nicht lesen." in answer.text
    assert "the geometry is a Point" not in answer.text
    assert 'value="Leitungsbau"' in answer.text
    assert "bad-1" not in site.store.kept
