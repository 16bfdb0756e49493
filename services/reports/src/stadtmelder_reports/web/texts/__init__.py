"""What the web pages say, in German, English and Turkish: plain words, short sentences."""

from collections.abc import Mapping

from stadtmelder_reports.schemas import LanguageCode
from stadtmelder_reports.web.texts import de, en, tr

LANGUAGE_NAMES: Mapping[LanguageCode, str] = {"de": "Deutsch", "en": "English", "tr": "Türkçe"}

_ALL: Mapping[LanguageCode, Mapping[str, str]] = {"de": de.TEXTS, "en": en.TEXTS, "tr": tr.TEXTS}


class Words:
    """The texts of one language for a template: `t("key", name=value)` or `t.key`."""

    def __init__(self, language: LanguageCode) -> None:
        self.language = language
        self._texts = _ALL[language]

    def __call__(self, key: str, **values: object) -> str:
        text = self._texts.get(key) or de.TEXTS.get(key) or key
        return text.format(**values) if values else text

    def __getattr__(self, key: str) -> str:
        if key.startswith("_"):
            raise AttributeError(key)
        return self(key)


def same_keys_everywhere() -> bool:
    """True when every language has every text: a unit test keeps it so."""
    return set(de.TEXTS) == set(en.TEXTS) == set(tr.TEXTS)
