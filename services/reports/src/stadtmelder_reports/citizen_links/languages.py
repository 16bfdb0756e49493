"""The language of a page: the one asked for, else the browser's first we have, or German."""

from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.http.schemas import LanguageCode

LANGUAGES: tuple[LanguageCode, ...] = ("de", "en", "tr")
# Remembers the language a person chose on any page, for the pages they open next.
LANGUAGE_COOKIE = "lang"


def preferred_language(accept_language: str, chosen: str | None = None) -> LanguageCode:
    """`chosen` if we have it, else the best of an Accept-Language header we have, else "de"."""
    if chosen in LANGUAGES:
        return chosen
    ranked = []
    for part in accept_language.split(","):
        tag, _, weight = part.strip().partition(";q=")
        try:
            quality = float(weight) if weight else 1.0
        except ValueError:
            continue
        ranked.append((quality, tag.split("-")[0].lower()))
    for _, language in sorted(ranked, key=lambda pair: -pair[0]):
        if language in LANGUAGES:
            return language
    return "de"


def page_language(request: AnyRequest, chosen: str | None = None) -> LanguageCode:
    """The language the link names, else the browser's first one we have, else German."""
    return preferred_language(request.headers.get("accept-language", ""), chosen)


def link_language(request: AnyRequest, named: str | None = None) -> LanguageCode:
    """A mail link's page: the language just chosen with the site's switcher (`?lang=`), else
    the one the link names (its mail's), else the one chosen before (cookie), else the browser's."""
    for chosen in (request.query_params.get("lang"), named):
        if chosen in LANGUAGES:
            return preferred_language("", chosen)
    return page_language(request, request.cookies.get(LANGUAGE_COOKIE))
