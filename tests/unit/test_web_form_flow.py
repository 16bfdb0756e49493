"""The report form keeps the citizen in flow without JavaScript: the duplicate check is skipped
only by the citizen's "mine is different", the advice to call leads back to the form with
everything typed, the rate limit and every problem return all fields (and say photos were
chosen), the public preview shows labels, and a place outside the city says where it came from."""

import html
import re
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from tests.examples import KOENIGSTRASSE, geotagged_jpeg
from tests.fakes import InMemoryReportRepository
from tests.web_form_app import form_app

Client = AsyncTestClient[Litestar]
GRAFFITI = {
    "category": "graffiti",
    "description": "Schmiererei an der Schulwand.",
    "address": "Königstraße 40, 47051 Duisburg",
    "lat": str(KOENIGSTRASSE[0]),
    "lon": str(KOENIGSTRASSE[1]),
    "answer.offensive": "no",
    "answer.surface": "bridge",
    "email": "anna@example.org",
    "name": "Anna Beispiel",
}
DANGER = {
    "category": "playground_damage",
    "description": "Kind an der Schaukel eingeklemmt.",
    "address": "Spielplatz am Kantpark",
    "answer.equipment": "swing",
    "answer.danger": "yes",
    "email": "anna@example.org",
    "phone": "0203 12345",
}
# Essen, a few kilometres east of the city's boundary.
ESSEN = (51.4556, 7.0116)


@pytest.fixture
async def client() -> AsyncIterator[Client]:
    async with AsyncTestClient(form_app(InMemoryReportRepository(), 1024 * 1024)) as client:
        yield client


def preview(page: str, name: str) -> str:
    found = re.search(rf'data-preview="{name}">([^<]*)</dd>', page)
    assert found is not None, name
    return html.unescape(found[1])


def field_error(page: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', page)
    assert found is not None, f"no message beside {field}"
    return html.unescape(found[1])


async def test_the_server_asks_about_reports_nearby_unless_the_citizen_said_mine_is_different(
    client: Client,
) -> None:
    first = await client.post("/report", data=GRAFFITI, follow_redirects=False)
    assert first.status_code == 303

    # The old hidden switch that a script turned off no longer skips the check.
    asked = await client.post(
        "/report", data={**GRAFFITI, "check_duplicates": "0"}, follow_redirects=False
    )
    assert asked.status_code == 200
    assert "Wurde das schon gemeldet?" in asked.text
    assert 'id="different" value=""' in asked.text
    # Enter in a field presses the form's first button, which must not say "different".
    first_button = re.search(r"<button [^>]*>", asked.text.split('id="report-form"', 1)[1])
    assert first_button is not None
    assert 'name="different"' not in first_button[0]
    assert ">Schmiererei an der Schulwand.</textarea>" in asked.text

    said = await client.post("/report", data={**GRAFFITI, "different": "1"}, follow_redirects=False)
    assert said.status_code == 303


async def test_the_way_back_from_the_advice_to_call_brings_the_form_back_filled(
    client: Client,
) -> None:
    stopped = await client.post(
        "/report",
        data=DANGER,
        files=[("photos", ("schaukel.jpg", geotagged_jpeg(*KOENIGSTRASSE), "image/jpeg"))],
    )
    assert stopped.status_code == 422
    assert 'href="tel:112"' in stopped.text
    assert 'href="tel:110"' in stopped.text
    back = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', stopped.text))
    assert back["action"] == "back"
    assert back["photos_chosen"] == "1"

    form = await client.post("/report?category=playground_damage", data=back)

    assert form.status_code == 200
    assert 'id="error-summary"' not in form.text
    assert ">Kind an der Schaukel eingeklemmt.</textarea>" in form.text
    assert 'name="address" value="Spielplatz am Kantpark"' in form.text
    assert 'name="answer.equipment" value="swing" checked' in form.text
    assert 'name="answer.danger" value="yes" checked' in form.text
    assert 'name="email" value="anna@example.org"' in form.text
    assert 'name="phone" value="0203 12345"' in form.text
    # The script puts the photos back from this browser; the page says they were chosen.
    assert 'data-photos-back="1"' in form.text
    assert form.headers["cache-control"] == "no-store"


async def test_a_rate_limited_form_comes_back_with_everything_typed_and_its_photos_flagged() -> (
    None
):
    async with AsyncTestClient(form_app(InMemoryReportRepository(), 1024 * 1024, 1)) as client:
        await client.post("/report", data={**GRAFFITI, "different": "1"}, follow_redirects=False)
        jpeg = geotagged_jpeg(*KOENIGSTRASSE)
        limited = await client.post(
            "/report",
            data={**GRAFFITI, "different": "1"},
            files=[("photos", ("wand.jpg", jpeg, "image/jpeg"))],
        )

    assert limited.status_code == 429
    assert "Sekunden" in field_error(limited.text, "description")
    assert ">Schmiererei an der Schulwand.</textarea>" in limited.text
    assert 'name="email" value="anna@example.org"' in limited.text
    assert 'name="answer.surface" value="bridge" checked' in limited.text
    assert 'id="different" value="1"' in limited.text
    assert 'data-photos-back="1"' in limited.text


async def test_the_public_preview_of_a_returned_form_shows_labels_not_codes(
    client: Client,
) -> None:
    page = await client.post("/report", data={**GRAFFITI, "description": ""})

    assert page.status_code == 400
    answers = preview(page.text, "answers")
    assert "Gebäude oder Mauer" not in answers
    assert "Brücke oder Unterführung" in answers
    assert "Nein" in answers
    assert "bridge" not in answers
    assert "no" not in answers.split()


@pytest.mark.parametrize(
    ("source", "said"),
    [
        ("map", "Der Punkt, den Sie auf der Karte gesetzt haben, liegt nicht in Duisburg."),
        ("device", "Ihr Standort liegt nicht in Duisburg."),
        ("typed", "Die Koordinaten, die Sie eingegeben haben, liegen nicht in Duisburg."),
        ("", "Die Koordinaten, die Sie eingegeben haben, liegen nicht in Duisburg."),
    ],
)
async def test_a_place_outside_the_city_says_where_it_came_from(
    client: Client, source: str, said: str
) -> None:
    form = {**GRAFFITI, "lat": str(ESSEN[0]), "lon": str(ESSEN[1]), "place_source": source}
    page = await client.post("/report", data=form)

    assert page.status_code == 400
    assert field_error(page.text, "address").startswith(said)


async def test_a_photos_place_outside_the_city_says_it_came_from_the_photo(
    client: Client,
) -> None:
    form = {**GRAFFITI, "lat": "", "lon": "", "address": "", "place_source": "map"}
    page = await client.post(
        "/report",
        data=form,
        files=[("photos", ("essen.jpg", geotagged_jpeg(*ESSEN), "image/jpeg"))],
    )

    assert page.status_code == 400
    assert field_error(page.text, "address").startswith(
        "Der Ort aus Ihrem Foto liegt nicht in Duisburg."
    )


async def test_a_description_over_the_limit_is_kept_and_says_by_how_much(client: Client) -> None:
    # 3,999 characters and a line break the browser sends as CRLF: one character, fits.
    fits = await client.post(
        "/report",
        data={**GRAFFITI, "description": "a" * 3000 + "\r\n" + "b" * 999},
        follow_redirects=False,
    )
    assert fits.status_code == 303

    text = "Sehr lange Beschreibung. " * 161
    page = await client.post("/report", data={**GRAFFITI, "description": text, "different": "1"})

    assert page.status_code == 400
    over = len(text.strip()) - 4000
    assert field_error(page.text, "description") == (
        f"Die Beschreibung ist {over} Zeichen zu lang. Bitte kürzen Sie sie auf höchstens "
        "4.000 Zeichen – Ihr Text steht noch im Feld."
    )
    assert f">{text.strip()}</textarea>" in page.text
    assert 'maxlength="4000"' not in page.text
