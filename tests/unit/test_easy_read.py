"""The page in Leichte Sprache: German whatever the site's language, written to its rules, and
reachable from every page's footer and from the home page."""

import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import build_app
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from tests.unit.test_translations import catalogue

BROWSER = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
# Leichte Sprache: short sentences, active voice, positive statements, words written out.
LONGEST_SENTENCE = 12
PASSIVE = re.compile(r"\b(wird|werden|wurde|wurden|worden)\b", re.IGNORECASE)
NEGATION = re.compile(r"\b(nicht|kein|keine|keinen|nie|niemand|nichts)\b", re.IGNORECASE)
ABBREVIATION = re.compile(r"\b(z\. ?B|d\. ?h|usw|bzw|ca|evtl|ggf|u\. ?a|Nr)\.|\b[A-ZÄÖÜ]{2,}\b")


@asynccontextmanager
async def nothing_to_open(_: Litestar) -> AsyncIterator[None]:
    yield


@pytest.fixture
async def client() -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = build_app(
        nothing_to_open, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(5)
    )
    async with AsyncTestClient(app) as test_client:
        yield test_client


def easy_german_sentences() -> list[str]:
    texts = [m.string for m in catalogue("de") if str(m.id).startswith("easy_")]
    assert len(texts) > 15
    return [s for text in texts for s in re.split(r"(?<=[.?!:])\s+|\n", str(text)) if s]


async def test_the_page_explains_stadtmelder_in_german_whatever_the_browser_speaks(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get(
        "/leichte-sprache", headers={"accept": BROWSER, "accept-language": "tr,en;q=0.5"}
    )

    assert response.status_code == 200
    assert '<html lang="de">' in response.text
    assert "<h1>Stadtmelder in Leichter Sprache</h1>" in response.text
    assert "<h2>So melden Sie einen Mangel</h2>" in response.text
    assert "Polizei: 110" in response.text
    assert 'class="easy"' in response.text, "the wider line spacing"


async def test_the_switcher_on_the_page_opens_the_plain_english_version(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.get("/leichte-sprache?lang=en", headers={"accept": BROWSER})

    assert '<html lang="en">' in response.text
    assert "<h1>Stadtmelder in easy English</h1>" in response.text


@pytest.mark.parametrize(
    ("language", "links"),
    [
        ("de", ['href="/leichte-sprache" hreflang="de">Leichte Sprache<']),
        (
            "en",
            [
                'href="/leichte-sprache" hreflang="de">Leichte Sprache (easy German)<',
                'href="/leichte-sprache?lang=en" hreflang="en">Easy English<',
            ],
        ),
        ("tr", ['href="/leichte-sprache" hreflang="de">Leichte Sprache (kolay Almanca)<']),
    ],
)
async def test_every_page_footer_links_to_it_in_every_language(
    client: AsyncTestClient[Litestar], language: str, links: list[str]
) -> None:
    pages = [
        await client.get(f"/no-such-page?lang={language}", headers={"accept": BROWSER}),
        await client.get(f"/staff/login?lang={language}", headers={"accept": BROWSER}),
    ]

    for page in pages:
        footer = page.text.split('<footer class="bottom">')[1]
        assert all(link in footer for link in links), page.url


def test_its_sentences_are_short_active_positive_and_without_abbreviations() -> None:
    sentences = easy_german_sentences()

    too_long = [s for s in sentences if len(s.split()) > LONGEST_SENTENCE]
    assert too_long == []
    assert [s for s in sentences if PASSIVE.search(s)] == []
    assert [s for s in sentences if NEGATION.search(s)] == []
    assert [s for s in sentences if ABBREVIATION.search(s)] == []
