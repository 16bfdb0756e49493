"""Every service's catalogues hold every text its code and templates ask for, in every language."""

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from stadtmelder_notify.words import Words as MailWords
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


def test_templates_ask_for_texts_by_call_which_extraction_sees() -> None:
    templates = (REPORTS / "src").glob("**/templates/*.j2")
    attribute = re.compile(r"\bt\.(?!plural\b|language\b)[a-z_]+")
    found = {path.name: attribute.findall(path.read_text()) for path in templates}
    assert {name: keys for name, keys in found.items() if keys} == {}


def test_extraction_finds_the_pages_texts(keys: set[str]) -> None:
    assert {"home_title", "supporters", "search_found", "status_resolved"} <= keys
    assert {"open311_service_notice", "open311_status_routed"} <= keys
    assert {"links_unsubscribe_title", "alert_link_confirm_question", "alert_link_daily"} <= keys


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


NOTIFY = REPORTS.parent / "notify"
ROUTING = REPORTS.parent / "routing"


def _service_keys(service: Path) -> set[str]:
    with (service / "babel.cfg").open() as config:
        method_map, options_map = parse_mapping_cfg(config)  # type: ignore[no-untyped-call]
    found = extract_from_dir(service, method_map, options_map, keywords=KEYWORDS)
    return {message if isinstance(message, str) else message[0] for *_, message, _, _ in found}


@pytest.mark.parametrize(
    ("service", "expected"),
    [
        (NOTIFY, {"confirmation_subject", "supported_count", "alert_digest_subject"}),
        (ROUTING, {"subject_work_order", "photos", "person_someone", "field_edit"}),
    ],
    ids=["notify", "routing"],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_mail_catalogue_holds_exactly_the_texts_the_mails_ask_for(
    service: Path, expected: set[str], language: str
) -> None:
    keys = _service_keys(service)
    package = f"stadtmelder_{service.name}"
    path = service / "src" / package / "locale" / language / "LC_MESSAGES"
    with (path / "messages.po").open("rb") as po:
        messages = read_po(po, locale=language)
    held = {str(m.id if isinstance(m.id, str) else m.id[0]) for m in messages if m.id}
    untranslated = sorted(
        k for k in keys & held if messages[k].fuzzy or not all(_forms(messages[k].string))
    )
    assert (sorted(keys - held), sorted(held - keys), untranslated) == ([], [], [])
    assert expected <= keys


@pytest.mark.parametrize(
    ("language", "one", "two"),
    [
        ("de", "1 neue Meldung vom 07.12.2026", "2 neue Meldungen vom 07.12.2026"),
        ("tr", "07.12.2026 tarihinde 1 yeni bildirim", "07.12.2026 tarihinde 2 yeni bildirim"),
    ],
)
def test_digest_subject_counts_in_the_languages_plural(language: str, one: str, two: str) -> None:
    words = MailWords(language)
    assert words.plural("alert_digest_subject", 1, day="07.12.2026") == one
    assert words.plural("alert_digest_subject", 2, day="07.12.2026") == two


@pytest.mark.parametrize(
    ("language", "one", "three"),
    [
        ("de", "Jetzt unterstützt 1 Person diese Meldung.", "Jetzt unterstützen 3 Personen"),
        ("tr", "şimdiye kadar 1 kez desteklendi", "şimdiye kadar 3 kez desteklendi"),
    ],
)
def test_supporters_count_in_the_languages_plural(language: str, one: str, three: str) -> None:
    words = MailWords(language)
    assert one in words.plural("supported_count", 1)
    assert three in words.plural("supported_count", 3)
