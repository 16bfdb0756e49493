"""The reports catalogues hold every text the code and templates ask for, in every language."""

from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.web.texts import Words

REPORTS = Path(__file__).resolve().parents[2] / "services" / "reports"
LOCALE = REPORTS / "src" / "stadtmelder_reports" / "locale"
LANGUAGES = ("de", "en", "tr")
# The same keywords as the pybabel command in services/reports/babel.cfg.
KEYWORDS = {"t": None, "plural": (1,), "N_": None, "_": None, "gettext": None, "ngettext": (1, 2)}


def extracted_keys() -> set[str]:
    with (REPORTS / "babel.cfg").open() as config:
        # Babel leaves this function unannotated; the map it reads is babel.cfg's.
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found = extract_from_dir(REPORTS, method_map, options_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for *_, message, _, _ in found}


def catalogue(language: str) -> Catalog:
    with (LOCALE / language / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=language)


@pytest.fixture(scope="module")
def keys() -> set[str]:
    return extracted_keys()


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_extracted_text_is_translated(keys: set[str], language: str) -> None:
    messages = catalogue(language)
    missing = sorted(key for key in keys if key not in messages)
    untranslated = sorted(
        key
        for key in keys
        if key in messages and (messages[key].fuzzy or not all(_forms(messages[key].string)))
    )
    assert (missing, untranslated) == ([], [])


@pytest.mark.parametrize("language", LANGUAGES)
def test_catalogue_holds_no_text_the_code_no_longer_asks_for(keys: set[str], language: str) -> None:
    unused = sorted(str(m.id if isinstance(m.id, str) else m.id[0]) for m in catalogue(language))
    assert [key for key in unused if key and key not in keys] == []


def test_extraction_finds_the_pages_texts(keys: set[str]) -> None:
    assert {"home_title", "supporters", "search_found", "status_resolved"} <= keys
    assert {"open311_service_notice", "open311_status_routed"} <= keys


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("de", "1 Ort gefunden.", "2 Orte gefunden."),
        ("en", "1 place found.", "2 places found."),
        ("tr", "1 yer bulundu.", "2 yer bulundu."),
    ],
)
def test_counts_take_the_languages_plural_form(language: LanguageCode, one: str, two: str) -> None:
    words = Words(language)
    assert (words.plural("search_found", 1), words.plural("search_found", 2)) == (one, two)


def test_german_supporters_are_one_person_or_people() -> None:
    words = Words("de")
    assert words.plural("supporters", 1) == "Unterstützt von 1 Person"
    assert words.plural("supporters", 3) == "Unterstützt von 3 Personen"


def _forms(string: str | tuple[str, ...] | list[str] | None) -> tuple[str, ...]:
    return (string,) if isinstance(string, str) else tuple(string or ("",))
