"""The report form without JavaScript refuses what it cannot keep, in the page's language:
"tell me by e-mail" without an address, too many photos, a photo too large, a file that is no
image, a body over the app's limit. What was typed comes back; no mail is promised in vain."""

import re
import struct
import zlib
from collections.abc import AsyncIterator

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.errors import FieldProblem, InvalidReport
from stadtmelder_reports.photos.cleaning import NotAnImage, PhotoTooLarge
from stadtmelder_reports.web.forms import explain
from stadtmelder_reports.web.photo_refusals import refused_by_cleaner
from stadtmelder_reports.web.texts import Words
from tests.examples import KOENIGSTRASSE, geotagged_jpeg
from tests.fakes import InMemoryReportRepository
from tests.web_form_app import form_app

MAX_PHOTO_BYTES = 1024 * 1024
# Typed into every field the form has for graffiti, so each can be looked for when it comes back.
TYPED = {
    "category": "graffiti",
    "description": "Schmiererei an der Schulwand.",
    "address": "Königstraße 40, 47051 Duisburg",
    "lat": str(KOENIGSTRASSE[0]),
    "lon": str(KOENIGSTRASSE[1]),
    "answer.offensive": "yes",
    "answer.surface": "bridge",
    "answer.area_m2": "12",
    "contact": "email",
    "email": "anna@example.org",
    "name": "Anna Beispiel",
}
Client = AsyncTestClient[Litestar]


@pytest.fixture
async def store() -> InMemoryReportRepository:
    return InMemoryReportRepository()


@pytest.fixture
async def client(store: InMemoryReportRepository) -> AsyncIterator[Client]:
    async with AsyncTestClient(form_app(store, MAX_PHOTO_BYTES)) as client:
        yield client


def photo(name: str, data: bytes | None = None) -> tuple[str, tuple[str, bytes, str]]:
    return ("photos", (name, data or geotagged_jpeg(*KOENIGSTRASSE), "image/jpeg"))


def png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims its size and holds no pixels: refused for its size before decoding."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = b"IHDR" + header
    ihdr = struct.pack(">I", len(header)) + chunk + struct.pack(">I", zlib.crc32(chunk))
    end = struct.pack(">I", 0) + b"IEND" + struct.pack(">I", zlib.crc32(b"IEND"))
    return b"\x89PNG\r\n\x1a\n" + ihdr + end


def assert_typed_values_kept(html: str, without: tuple[str, ...] = ()) -> None:
    for name in ("address", "lat", "lon", "email", "name"):
        if name not in without:
            assert f'name="{name}" value="{TYPED[name]}"' in html, name
    assert f">{TYPED['description']}</textarea>" in html
    assert re.search(r'name="answer.offensive" value="yes" checked', html)
    assert re.search(r'name="answer.surface" value="bridge" checked', html)
    assert 'name="answer.area_m2" value="12"' in html


def field_error(html: str, field: str) -> str:
    found = re.search(rf'<p class="field-error" id="{field}-error">([^<]*)</p>', html)
    assert found is not None, f"no message beside {field}"
    return found[1]


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("de", "Sie haben „Per E-Mail informieren“ gewählt. Bitte schreiben Sie Ihre E-Mail"),
        ("tr", "“E-posta ile haber ver” seçeneğini seçtiniz. Lütfen e-posta adresinizi yazın"),
    ],
)
async def test_tell_me_by_email_without_an_address_is_refused_and_the_form_kept(
    client: Client, store: InMemoryReportRepository, language: str, said: str
) -> None:
    response = await client.post(f"/report?lang={language}", data={**TYPED, "email": ""})

    assert response.status_code == 400
    assert field_error(response.text, "email").startswith(said)
    assert_typed_values_kept(response.text, without=("email",))
    assert 'id="contact-email" name="contact" value="email" checked' in response.text
    assert not store.reports


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("de", "Bitte prüfen Sie die E-Mail-Adresse"),
        ("tr", "Lütfen e-posta adresini kontrol edin"),
    ],
)
async def test_an_email_that_is_no_address_is_refused_and_kept_to_correct(
    client: Client, language: str, said: str
) -> None:
    response = await client.post(f"/report?lang={language}", data={**TYPED, "email": "anna@"})

    assert response.status_code == 400
    assert field_error(response.text, "email").startswith(said)
    assert 'name="email" value="anna@"' in response.text
    assert_typed_values_kept(response.text, without=("email",))


async def test_a_report_without_an_address_promises_no_mail(client: Client) -> None:
    form = {**TYPED, "contact": "anonymous", "email": ""}
    response = await client.post("/report?lang=de", data=form)

    assert response.status_code == 200
    assert "Danke! Ihre Meldung ist angekommen." in response.text
    assert "Sie bekommen eine E-Mail" not in response.text
    assert "deshalb bekommen Sie keine E-Mail von uns" in response.text


async def test_a_report_with_an_address_promises_mail(client: Client) -> None:
    response = await client.post("/report?lang=de", data=TYPED)

    assert "Sie bekommen eine E-Mail, sobald sich etwas tut." in response.text


@pytest.mark.parametrize(
    ("language", "said", "again"),
    [
        (
            "de",
            "Sie haben 4 Fotos ausgewählt. Es gehen höchstens 3.",
            "Ein Browser behält ausgewählte Fotos nicht",
        ),
        (
            "tr",
            "4 fotoğraf seçtiniz. En fazla 3 fotoğraf gönderebilirsiniz.",
            "tarayıcı seçilen fotoğrafları saklayamaz",
        ),
    ],
)
async def test_more_than_three_photos_are_refused_before_any_is_read(
    client: Client, store: InMemoryReportRepository, language: str, said: str, again: str
) -> None:
    photos = [photo(f"{n}.jpg") for n in range(1, 5)]
    response = await client.post(f"/report?lang={language}", data=TYPED, files=photos)

    assert response.status_code == 400
    assert field_error(response.text, "photos").startswith(said)
    assert again in response.text
    assert_typed_values_kept(response.text)
    assert not store.reports


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("de", "Foto 2 („gross.jpg“) ist 2,5 MB groß. Ein Foto darf höchstens 1 MB groß sein."),
        ("tr", "2. fotoğraf (“gross.jpg”) 2,5 MB. Bir fotoğraf en fazla 1 MB olabilir."),
    ],
)
async def test_a_photo_over_the_limit_is_refused_with_its_real_size(
    client: Client, language: str, said: str
) -> None:
    large = b"\xff\xd8\xff" + bytes(int(2.45 * MAX_PHOTO_BYTES))
    photos = [photo("klein.jpg"), photo("gross.jpg", large)]
    response = await client.post(f"/report?lang={language}", data=TYPED, files=photos)

    assert response.status_code == 400
    assert field_error(response.text, "photos").startswith(said)
    assert_typed_values_kept(response.text)


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("de", "Foto 1 („notiz.jpg“) ist kein Foto, das wir lesen können."),
        ("tr", "1. fotoğraf (“notiz.jpg”) okuyabildiğimiz bir fotoğraf değil."),
    ],
)
async def test_a_text_file_named_jpg_is_refused_in_the_pages_language(
    client: Client, store: InMemoryReportRepository, language: str, said: str
) -> None:
    text = photo("notiz.jpg", b"Einkaufsliste: Milch, Brot\n" * 20)
    response = await client.post(f"/report?lang={language}", data=TYPED, files=[text])

    assert response.status_code == 400
    assert field_error(response.text, "photos").startswith(said)
    assert "This file is not a photo" not in response.text
    assert_typed_values_kept(response.text)
    assert not store.reports


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("de", "Foto 1 („riesig.png“) ist zu groß. Ein Foto darf höchstens 1 MB groß sein"),
        ("tr", "1. fotoğraf (“riesig.png”) çok büyük. Bir fotoğraf en fazla 1 MB"),
    ],
)
async def test_a_photo_of_too_many_pixels_is_refused_by_its_class_not_its_english_reason(
    client: Client, language: str, said: str
) -> None:
    huge = ("photos", ("riesig.png", png_header_only(20_000, 20_000), "image/png"))
    response = await client.post(f"/report?lang={language}", data=TYPED, files=[huge])

    assert response.status_code == 400
    assert field_error(response.text, "photos").startswith(said)
    assert "pixels;" not in response.text


@pytest.mark.parametrize(
    ("language", "said"),
    [
        ("de", "Ihre Meldung war zu groß, um sie anzunehmen: Es gehen höchstens 3 Fotos mit je"),
        ("tr", "Bildiriminiz kabul edilemeyecek kadar büyüktü: en fazla 3 fotoğraf"),
    ],
)
async def test_a_body_over_the_apps_limit_gets_the_form_page_not_json(
    client: Client, language: str, said: str
) -> None:
    # Four photos at the limit are more than the app reads for three.
    photos = [photo(f"{n}.jpg", bytes(MAX_PHOTO_BYTES)) for n in range(1, 6)]
    response = await client.post(
        f"/report?category=graffiti&lang={language}", data=TYPED, files=photos
    )

    assert response.status_code == 413
    assert response.headers["content-type"].startswith("text/html")
    assert field_error(response.text, "photos").startswith(said)
    assert 'action="/report?category=graffiti"' in response.text


async def test_a_dangerous_answer_gets_its_advice_even_when_the_email_is_missing(
    client: Client,
) -> None:
    form = {
        "category": "playground_damage",
        "answer.equipment": "swing",
        "answer.danger": "yes",
        "description": "Kind eingeklemmt",
        "email": "",
    }
    response = await client.post("/report?lang=de", data=form)

    assert response.status_code == 422
    assert "rufen Sie an" in response.text


def test_a_photo_error_raised_unwrapped_is_said_by_its_class() -> None:
    t = Words("tr")

    said = refused_by_cleaner(NotAnImage("This file is not a photo"), [], MAX_PHOTO_BYTES, t)

    assert said == [
        "Bir fotoğraf okuyabildiğimiz bir fotoğraf değil. "
        "Lütfen JPEG, PNG veya WebP biçiminde bir fotoğraf seçin."
    ]


def test_a_photo_error_wrapped_from_none_is_still_found_by_its_class() -> None:
    def wrapped() -> InvalidReport:
        try:
            raise PhotoTooLarge("The photo is 10.1 MB")
        except PhotoTooLarge as error:
            try:
                raise InvalidReport([FieldProblem("photos[3]", error.reason)]) from None
            except InvalidReport as invalid:
                return invalid

    said = refused_by_cleaner(wrapped(), [], MAX_PHOTO_BYTES, Words("de"))

    assert len(said) == 1
    assert said[0].startswith("Foto 3 („“) ist zu groß. Ein Foto darf höchstens 1 MB")


async def test_a_refused_form_says_every_problem_at_once_in_turkish(client: Client) -> None:
    form = {"category": "graffiti", "answer.offensive": "no", "email": ""}
    response = await client.post("/report?lang=tr", data=form)

    assert response.status_code == 400
    assert field_error(response.text, "description") == "Lütfen sorunu anlatın."
    assert field_error(response.text, "address").startswith("Lütfen sorunun nerede olduğunu")
    assert field_error(response.text, "email").startswith("“E-posta ile haber ver”")


async def test_a_body_over_the_limit_for_no_known_form_gets_the_apis_answer_not_a_500(
    client: Client,
) -> None:
    photos = [photo(f"{n}.jpg", bytes(MAX_PHOTO_BYTES)) for n in range(1, 6)]
    response = await client.post("/report?category=no-such-kind", data=TYPED, files=photos)

    assert response.status_code == 413
    assert response.json()["code"] == "request_too_large"


def test_a_problem_the_form_has_no_field_for_is_said_in_the_pages_language() -> None:
    too_many = FieldProblem("answers", "Send at most 20 answers, one per question.", "err_answers")
    graffiti = load_jurisdiction().category("graffiti")
    assert graffiti is not None

    explained = explain([too_many], graffiti, Words("de"))

    assert explained == [
        {"field": "description", "text": "Bitte beantworten Sie jede Frage nur einmal."}
    ]
