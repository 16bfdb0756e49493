"""Loads a service's compiled gettext catalogues (`locale/<language>/LC_MESSAGES/<domain>.mo`)."""

import gettext
from collections.abc import Iterable, Mapping
from importlib.resources import files
from pathlib import Path


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
