"""Playgrounds through the app: a report near one carries it, `/playgrounds` and its JSON list
each playground by its imported name with state, defects and ratings, and a rating's comment is
public only once a moderator approved it."""

import math
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import build_app
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import NotAllowed
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.playgrounds.service import (
    PlaygroundLocator,
    PlaygroundService,
    import_playgrounds,
)
from stadtmelder_reports.staff.auth import Role, StaffMember
from stadtmelder_reports.staff.sign_in.pages import SESSION_COOKIE
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.geo import EARTH_RADIUS_M
from stadtmelder_shared.report_events import ReportSubmitted
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import valid_answers
from tests.fakes import InMemoryReportRepository
from tests.playground_fakes import InMemoryPlaygroundStore
from tests.staff_sessions import session_cookie
from tests.system import ROOT

EXAMPLE = ROOT / "deploy/local/data/playgrounds.example.geojson"
# The south-west corner of the example's Kantpark playground, and a place 30 m south of it.
KANTPARK_CORNER = (51.42948, 6.76675)
NEAR_KANTPARK = (KANTPARK_CORNER[0] - math.degrees(30 / EARTH_RADIUS_M), KANTPARK_CORNER[1])
DISPATCHER = StaffMember("dispatcher-1", frozenset({"dispatcher"}))
CLERK = StaffMember("clerk-1", frozenset({"clerk"}), "wbd")
Client = AsyncTestClient[Litestar]


@dataclass
class Site:
    client: Client
    reports: InMemoryReportRepository
    playgrounds: PlaygroundService


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    reports, store = InMemoryReportRepository(), InMemoryPlaygroundStore()
    await import_playgrounds(store, EXAMPLE)
    locator = PlaygroundLocator(store)
    jurisdiction = load_jurisdiction()
    service = ReportService(
        reports,
        jurisdiction,
        directory=load_directory(),
        data_keys=InMemoryDataKeys(),
        playgrounds=locator,
    )
    playgrounds = PlaygroundService(locator, service, jurisdiction.code)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = service
        app.state.playgrounds = playgrounds
        yield

    app = build_app(lifespan, ApiSettings("https://melder.example", 1 << 20), SubmissionLimiter(50))
    async with AsyncTestClient(app) as client:
        yield Site(client, reports, playgrounds)


async def submit(
    client: Client, category: str, place: tuple[float, float], address: str | None = None
) -> dict[str, Any]:
    found = load_jurisdiction().category(category)
    body = {
        "category": category,
        "description": "Die Schaukel hat eine gebrochene Kette.",
        "lat": place[0],
        "lon": place[1],
        "answers": valid_answers(found),
    }
    if address:
        body["address"] = address
    response = await client.post("/api/v1/reports", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


async def test_a_playground_report_within_50_m_carries_the_playground_and_announces_it(
    site: Site,
) -> None:
    created = await submit(site.client, "playground_damage", NEAR_KANTPARK)

    assert created["playground"] == {"id": "example-kantpark", "name": "Spielplatz Kantpark"}
    page = await site.client.get(f"/reports/{created['id']}")
    assert 'href="/playgrounds/example-kantpark">Spielplatz Kantpark</a>' in page.text
    stored = site.reports.reports[created["id"]]
    announced = [e for _, e in stored.pending_events if isinstance(e, ReportSubmitted)]
    assert announced[0].playground is not None
    assert announced[0].playground.name == "Spielplatz Kantpark"


async def test_a_street_light_report_beside_a_playground_stays_the_lights(site: Site) -> None:
    created = await submit(site.client, "street_light_out", NEAR_KANTPARK)

    assert created["playground"] is None


async def test_the_form_asks_about_the_playground_near_a_place(site: Site) -> None:
    lat, lon = NEAR_KANTPARK
    near = await site.client.get(f"/api/v1/playgrounds/near?lat={lat}&lon={lon}")
    far = await site.client.get("/api/v1/playgrounds/near?lat=51.44&lon=6.75")
    form = await site.client.get("/report?category=playground_damage")

    assert near.json()["playground"]["name"] == "Spielplatz Kantpark"
    assert far.json() == {"playground": None}
    assert 'id="playground-hint"' in form.text
    assert "/assets/playground-hint.js" in form.text


async def test_a_citizens_typed_address_never_becomes_a_title(site: Site) -> None:
    typed = "Hier wohnt Familie Mustermann, Kantstr. 5"
    await submit(site.client, "playground_damage", NEAR_KANTPARK, address=typed)
    # A playground report far from every playground joins none and makes no place of its own.
    await submit(site.client, "playground_litter", (51.4400, 6.7500), address=typed)

    page = await site.client.get("/playgrounds")
    api = await site.client.get("/api/v1/playgrounds")

    titles = re.findall(r'<h2 class="card-title"><a href="[^"]+">([^<]+)</a>', page.text)
    assert "Spielplatz Kantpark" in titles
    assert typed not in page.text
    assert all(item["name"] != typed for item in api.json()["items"])
    assert len(titles) == len(api.json()["items"]) == 6


async def test_the_list_shows_each_playgrounds_state_and_open_defects(site: Site) -> None:
    created = await submit(site.client, "playground_damage", NEAR_KANTPARK)
    await site.playgrounds.set_closed(CLERK, "example-biegerpark", True)

    items = {i["id"]: i for i in (await site.client.get("/api/v1/playgrounds")).json()["items"]}
    page = await site.client.get("/playgrounds/example-kantpark")

    assert items["example-kantpark"]["state"] == "defects_open"
    assert [r["id"] for r in items["example-kantpark"]["open_defects"]] == [created["id"]]
    assert items["example-biegerpark"]["state"] == "closed"
    assert items["example-dellplatz"]["state"] == "no_known_defects"
    assert items["example-kantpark"]["geometry"]["type"] == "Polygon"
    assert "Mängel gemeldet" in page.text
    assert f"/reports/{created['id']}" in page.text


async def test_a_resolved_defect_shows_as_recently_fixed_not_open(site: Site) -> None:
    fixed = await submit(site.client, "playground_damage", NEAR_KANTPARK)
    still_open = await submit(site.client, "playground_litter", NEAR_KANTPARK)
    # The staff's transition is tested with the work queue; here only its outcome matters: a
    # report just made counts as changed now, so it was fixed within the last 30 days.
    site.reports.reports[fixed["id"]].status = "resolved"

    item = (await site.client.get("/api/v1/playgrounds/example-kantpark")).json()
    page = (await site.client.get("/playgrounds/example-kantpark")).text

    assert [r["id"] for r in item["recently_fixed"]] == [fixed["id"]]
    assert [r["id"] for r in item["open_defects"]] == [still_open["id"]]
    open_part, fixed_part = page.split("In den letzten 30 Tagen behoben</h2>")
    assert f"/reports/{fixed['id']}" in fixed_part.split("<h2")[0]
    assert "behoben am" in fixed_part
    assert f"/reports/{fixed['id']}" not in open_part


async def test_a_rating_counts_at_once_but_its_comment_waits_for_a_moderator(site: Site) -> None:
    comment = "Schön schattig, aber die Rutsche ist stumpf."
    sent = await site.client.post(
        "/api/v1/playgrounds/example-kantpark/ratings", json={"rating": 4, "comment": comment}
    )
    await site.client.post("/api/v1/playgrounds/example-kantpark/ratings", json={"rating": 1})

    before = (await site.client.get("/api/v1/playgrounds/example-kantpark")).json()
    assert sent.json() == {"rating": 4, "comment_awaits_moderation": True}
    assert (before["rating_count"], before["rating_average"]) == (2, 2.5)
    assert before["recent_comments"] == []
    assert comment not in (await site.client.get("/playgrounds/example-kantpark")).text

    pending = await site.playgrounds.pending_comments(DISPATCHER)
    with pytest.raises(NotAllowed):
        await site.playgrounds.decide_comment(CLERK, pending[0].id, approve=True)
    assert await site.playgrounds.decide_comment(DISPATCHER, pending[0].id, approve=True)

    after = (await site.client.get("/api/v1/playgrounds/example-kantpark")).json()
    assert [c["comment"] for c in after["recent_comments"]] == [comment]
    assert comment in (await site.client.get("/playgrounds/example-kantpark")).text


async def test_a_rejected_comment_is_never_shown(site: Site) -> None:
    await site.playgrounds.rate("example-kantpark", 5, "Der Hausmeister Herr X ist unfreundlich.")
    pending = await site.playgrounds.pending_comments(DISPATCHER)
    await site.playgrounds.decide_comment(DISPATCHER, pending[0].id, approve=False)

    page = await site.client.get("/playgrounds/example-kantpark")

    assert "Herr X" not in page.text
    assert await site.playgrounds.pending_comments(DISPATCHER) == []


async def test_a_rating_out_of_range_is_refused_with_the_field_named(site: Site) -> None:
    api = await site.client.post("/api/v1/playgrounds/example-kantpark/ratings", json={"rating": 9})
    form = await site.client.post(
        "/playgrounds/example-kantpark/rating", data={"rating": "0", "comment": "Gut"}
    )

    assert api.status_code == 400
    assert api.json()["errors"][0]["field"].endswith("rating")
    assert form.status_code == 400
    assert "Bitte wählen Sie eine Bewertung von 1 bis 5." in form.text


async def test_rating_without_javascript_thanks_and_says_the_comment_waits(site: Site) -> None:
    sent = await site.client.post(
        "/playgrounds/example-kantpark/rating",
        data={"rating": "5", "comment": "Toll"},
        follow_redirects=True,
    )

    assert sent.status_code == 200
    assert "sobald die Moderation ihn freigegeben hat" in sent.text


async def test_the_rating_form_says_the_stars_and_average_are_public(site: Site) -> None:
    page = await site.client.get("/playgrounds/example-kantpark")

    assert page.status_code == 200
    assert '<p class="hint" id="public-hint">Was öffentlich wird: Ihre Sterne' in page.text
    assert 'aria-describedby="public-hint"' in page.text


async def test_an_unknown_playground_is_a_page_for_browsers_and_json_for_apps(site: Site) -> None:
    page = await site.client.get("/playgrounds/nowhere")
    api = await site.client.get("/api/v1/playgrounds/nowhere")

    assert page.status_code == 404
    assert page.headers["content-type"].startswith("text/html")
    assert api.status_code == 404
    assert api.json()["code"] == "playground_not_found"


def sign_in(site: Site, role: Role) -> None:
    cookie = session_cookie(site.client.app, f"{role}-1", [role], "wbd")
    site.client.cookies.set(SESSION_COOKIE, cookie, path="/staff")


async def staff_post(site: Site, path: str, **fields: str) -> int:
    page = await site.client.get("/staff/playgrounds")
    csrf = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert csrf is not None, page.text[:500]
    sent = await site.client.post(
        path, data={**fields, "_csrf_token": csrf[1]}, follow_redirects=False
    )
    return sent.status_code


async def test_a_clerk_closes_a_playground_for_repair_and_everyone_sees_it(site: Site) -> None:
    sign_in(site, "clerk")

    status = await staff_post(site, "/staff/playgrounds/closure/example-kantpark", closed="1")
    public = await site.client.get("/playgrounds/example-kantpark")

    assert status == 303
    assert "Zur Reparatur gesperrt" in public.text
    assert "Dieser Spielplatz ist zur Reparatur gesperrt." in public.text


async def test_a_dispatcher_approves_a_comment_on_the_staff_page(site: Site) -> None:
    await site.playgrounds.rate("example-dellplatz", 5, "Neue Schaukel, sehr schön.")
    sign_in(site, "dispatcher")
    pending = await site.playgrounds.pending_comments(DISPATCHER)
    page = await site.client.get("/staff/playgrounds")

    status = await staff_post(
        site, f"/staff/playgrounds/ratings/{pending[0].id}", decision="approve"
    )
    public = await site.client.get("/playgrounds/example-dellplatz")

    assert "Neue Schaukel, sehr schön." in page.text
    assert status == 303
    assert "Neue Schaukel, sehr schön." in public.text


async def test_a_clerk_sees_no_comments_to_moderate(site: Site) -> None:
    await site.playgrounds.rate("example-dellplatz", 2, "Der Hausmeister ist unfreundlich.")
    sign_in(site, "clerk")

    page = await site.client.get("/staff/playgrounds")

    assert page.status_code == 200
    assert "Der Hausmeister" not in page.text
