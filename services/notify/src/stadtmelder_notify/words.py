"""What the mails and app messages say, in German, English and Turkish, from locale/'s catalogues.

The msgids are short keys (`confirmation_subject`, `status_resolved_happened`): every language,
German too, is a translation in its own .po file, so a translator never edits code.
"""

from collections.abc import Mapping
from functools import cache
from gettext import GNUTranslations

from stadtmelder_shared.translations import load_catalogues

LANGUAGES = ("de", "en", "tr")


def N_(key: str) -> str:  # noqa: N802 - gettext's name for a marker, which pybabel looks for
    """Marks a key for extraction where the code chooses it at run time."""
    return key


@cache
def catalogues() -> Mapping[str, GNUTranslations]:
    """Loaded once, on first use, so importing a mail module reads no files."""
    return load_catalogues("stadtmelder_notify", LANGUAGES)


class Words:
    """The texts of one language, German for a language we do not write: `t("key", name=value)`."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "de"
        self._catalogue = catalogues()[self.language]

    def __call__(self, key: str, **values: object) -> str:
        text = self._catalogue.gettext(key)
        return text.format(**values) if values else text

    def plural(self, key: str, count: int, **values: object) -> str:
        """A text about `count` things, in the form the language's plural rule picks."""
        return self._catalogue.ngettext(key, key, count).format(count=count, **values)
