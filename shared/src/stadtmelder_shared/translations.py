"""Loads a service's compiled gettext catalogues (`locale/<language>/LC_MESSAGES/<domain>.mo`)."""

import gettext
from collections.abc import Iterable, Mapping
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import ClassVar

# The languages every service writes in.
LANGUAGES = ("de", "en", "tr")


def N_(key: str) -> str:  # noqa: N802 - gettext's name for a marker, which pybabel looks for
    """Marks a catalogue key for extraction where it is chosen apart from its `t(...)` call
    (an error that names the sentence a page shows for it, a key held in a table)."""
    return key


class CataloguesNotCompiled(RuntimeError):
    """The .mo files are build outputs: `make install` or the image build compiles them."""


def locale_dir(package: str) -> Path:
    """The `locale/` folder shipped inside a service's package."""
    return Path(str(files(package).joinpath("locale")))


def load_catalogues(
    package: str, languages: Iterable[str], domain: str = "messages"
) -> Mapping[str, gettext.GNUTranslations]:
    """Every language's catalogue, or an error naming the missing file and how to build it."""
    directory = locale_dir(package)
    catalogues: dict[str, gettext.GNUTranslations] = {}
    for language in languages:
        compiled = directory / language / "LC_MESSAGES" / f"{domain}.mo"
        if not compiled.is_file():
            raise CataloguesNotCompiled(
                f"{compiled} is missing: run `make install`, or "
                f"`pybabel compile -d {directory} -D {domain}`"
            )
        with compiled.open("rb") as mo:
            catalogues[language] = gettext.GNUTranslations(mo)
    return catalogues


class Words:
    """The texts of one language, German for a language we do not write: `t("key", name=value)`.

    The msgids are short keys (`confirmation_subject`): every language, German too, is a
    translation in its own .po file, so a translator never edits code.
    """

    def __init__(self, catalogues: Mapping[str, gettext.GNUTranslations], language: str) -> None:
        self.language = language if language in catalogues else "de"
        self._catalogue = catalogues[self.language]

    def __call__(self, key: str, **values: object) -> str:
        text = self._catalogue.gettext(key)
        return text.format(**values) if values else text

    def plural(self, key: str, count: int, **values: object) -> str:
        """A text about `count` things, in the form the language's plural rule picks."""
        return self._catalogue.ngettext(key, key, count).format(count=count, **values)


@cache
def package_catalogues(package: str) -> Mapping[str, gettext.GNUTranslations]:
    """The catalogues shipped in `package`, every language, loaded once at first use (so
    importing a module that writes texts reads no files)."""
    return load_catalogues(package, LANGUAGES)


class PackageWords(Words):
    """`Words` from the catalogues of the service package a subclass names in `package`."""

    package: ClassVar[str]

    def __init__(self, language: str) -> None:
        super().__init__(package_catalogues(self.package), language)
