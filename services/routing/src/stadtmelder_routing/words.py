"""What the department mails say, in German, English and Turkish, from locale/'s catalogues."""

from collections.abc import Mapping
from functools import cache
from gettext import GNUTranslations

from stadtmelder_shared import translations

LANGUAGES = ("de", "en", "tr")


@cache
def catalogues() -> Mapping[str, GNUTranslations]:
    """Loaded once, on first use, so importing the mailbox reads no files."""
    return translations.load_catalogues("stadtmelder_routing", LANGUAGES)


class Words(translations.Words):
    """Routing's texts in one language: `t("key", name=value)`."""

    def __init__(self, language: str) -> None:
        super().__init__(catalogues(), language)
