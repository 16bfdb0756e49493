"""What the web pages say, in German, English and Turkish, from the gettext catalogues in locale/.

The msgids are the short keys the pages always used (`home_title`, `status_resolved`): every
language, German too, is a translation in its own .po file, so a translator never edits code, a
German wording can change without touching the others, and `t("key")` keeps working for every page.
"""

from collections.abc import Mapping
from functools import cache
from gettext import GNUTranslations
from typing import get_args

from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_shared.translations import N_, load_catalogues

LANGUAGE_NAMES: Mapping[LanguageCode, str] = {"de": "Deutsch", "en": "English", "tr": "Türkçe"}


# Keys a page chooses at run time (`status_` + a report's status, or one of two held in a
# variable), named here so that extraction keeps them in the catalogues.
COMPOSED_KEYS = (
    N_("err_description"),
    N_("err_description_long"),
    N_("status_open"),
    N_("status_closed"),
    N_("status_all"),
    N_("status_submitted"),
    N_("status_triage"),
    N_("status_routed"),
    N_("status_acknowledged"),
    N_("status_in_progress"),
    N_("status_resolved"),
    N_("status_reopened"),
    N_("status_rejected"),
    N_("status_duplicate"),
    N_("status_forwarded"),
    N_("feedback_fixed"),
    N_("feedback_partly"),
    N_("feedback_not_fixed"),
    N_("staff_internal"),
    N_("staff_public"),
    N_("staff_err_reason"),
    N_("staff_err_duplicate_of"),
    N_("staff_err_forward_to"),
    N_("staff_err_text"),
    N_("moderated_hidden"),
    N_("moderated_shown"),
    N_("moderated_redacted"),
    N_("moderated_photo_removed"),
    N_("staff_moderated_hidden"),
    N_("staff_moderated_shown"),
    N_("staff_moderated_redacted"),
    N_("staff_moderated_photo_removed"),
)


@cache
def catalogues() -> Mapping[str, GNUTranslations]:
    """Loaded once, on first use, so importing a page module reads no files."""
    return load_catalogues("stadtmelder_reports", get_args(LanguageCode))


class Words:
    """The texts of one language: `t("key", name=value)` and `t.plural("key", count)`.

    No `t.key`: extraction sees only calls, so a key read as an attribute would leave the
    catalogues unnoticed.
    """

    def __init__(self, language: LanguageCode) -> None:
        self.language = language
        self._catalogue = catalogues()[language]

    def __call__(self, key: str, **values: object) -> str:
        text = self._catalogue.gettext(key)
        return text.format(**values) if values else text

    def plural(self, key: str, count: int, **values: object) -> str:
        """A text about `count` things, in the form the language's plural rule picks."""
        return self._catalogue.ngettext(key, key, count).format(count=count, **values)

    def composed(self, prefix: str, name: str) -> str:
        """The text of a key built at run time; such keys are listed in COMPOSED_KEYS."""
        return self(prefix + name)
