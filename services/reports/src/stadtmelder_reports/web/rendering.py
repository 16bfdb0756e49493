"""How every page is answered: the language, the shared template context and safe headers."""

import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

from jinja2 import Environment, pass_context
from jinja2.runtime import Context
from litestar import MediaType
from litestar.datastructures import Cookie
from litestar.response import Redirect, Template

from stadtmelder_reports.citizen_links.languages import LANGUAGE_COOKIE, LANGUAGES, link_language
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.web.texts import LANGUAGE_NAMES, Words

STATIC_PATH = "/static"
VENDOR_PATH = "/static/vendor"


@dataclass(frozen=True)
class WebSettings:
    """What the pages need from the settings; without Leaflet the pages go without a map."""

    map_tile_url: str = ""
    map_attribution: str = ""
    leaflet_dir: Path | None = None
    # Cookies only over HTTPS when the public address is HTTPS, also behind a TLS proxy.
    secure_cookies: bool = False
    # Signs the staff pages' CSRF tokens; a random one serves a single process (tests).
    csrf_secret: str = field(default_factory=lambda: secrets.token_hex(32))

    @property
    def has_map(self) -> bool:
        return self.leaflet_dir is not None

    def content_security_policy(self) -> str:
        """Scripts and styles only from us; images also from the tile server."""
        tiles = urlsplit(self.map_tile_url.replace("{s}", "a"))
        tile_origin = f" {tiles.scheme}://{tiles.netloc}" if tiles.scheme and tiles.netloc else ""
        return (
            "default-src 'self'; script-src 'self'; style-src 'self'; "
            f"img-src 'self' data: blob:{tile_origin}; connect-src 'self'; "
            "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
        )


def web_settings_of(request: AnyRequest) -> WebSettings:
    """The page routes carry them; a request that matched no route finds them in the app."""
    handler = request.scope.get("route_handler")
    if handler is not None and "web" in handler.opt:
        return handler.opt["web"]  # type: ignore[no-any-return]
    return request.app.state.get("web") or WebSettings()


def choose_language(request: AnyRequest) -> LanguageCode:
    """`?lang=` first, then the language chosen before (cookie), then the browser's."""
    return link_language(request)


def remembered(language: LanguageCode) -> Cookie:
    """The cookie that keeps a chosen language for the pages opened next."""
    return Cookie(
        key=LANGUAGE_COOKIE,
        value=language,
        max_age=365 * 24 * 3600,
        samesite="lax",
        httponly=True,
    )


def language_links(request: AnyRequest) -> list[dict[str, str]]:
    """The same page in each language, for the switcher."""
    links = []
    for code, name in LANGUAGE_NAMES.items():
        params = {k: v for k, v in request.query_params.items() if k != "lang"}
        params["lang"] = code
        links.append(
            {"code": code, "name": name, "href": f"{request.url.path}?{urlencode(params)}"}
        )
    return links


def page(
    request: AnyRequest,
    template: str,
    status_code: int = 200,
    private: bool = False,
    language: LanguageCode | None = None,
    **context: Any,
) -> Template:
    """A rendered page; `private` pages (tracking links, staff) are never cached or referred.
    `language` when the caller knows it better (a mail link names its mail's language)."""
    language = language or choose_language(request)
    web = web_settings_of(request)
    headers = {
        "content-security-policy": web.content_security_policy(),
        "x-content-type-options": "nosniff",
        "referrer-policy": "no-referrer" if private else "same-origin",
    }
    if private:
        headers["cache-control"] = "no-store"
        headers["x-robots-tag"] = "noindex"
    cookies = [remembered(language)] if request.query_params.get("lang") in LANGUAGES else []
    return Template(
        template_name=template,
        context={
            "t": Words(language),
            "lang": language,
            "languages": language_links(request),
            "web": web,
            "path": request.url.path,
            **context,
        },
        status_code=status_code,
        headers=headers,
        cookies=cookies,
        # Also where the route answers apps in JSON (mail links, error pages).
        media_type=MediaType.HTML,
    )


@pass_context
def _gettext(context: Context, key: str, **values: object) -> str:
    return Words(context["lang"])(key, **values)


@pass_context
def _ngettext(context: Context, key: str, _plural: str, count: int, **values: object) -> str:
    return Words(context["lang"]).plural(key, count, **values)


def install_translations(environment: Environment) -> None:
    """Jinja's i18n extension with `_`, `gettext` and `ngettext` from the page language's catalogue.

    Not the extension's newstyle callables: the catalogue's texts have `{name}` placeholders,
    which the Python code formats the same way, and autoescaping escapes the result.
    """
    environment.add_extension("jinja2.ext.i18n")
    environment.install_gettext_callables(  # type: ignore[attr-defined]
        _gettext, _ngettext, newstyle=False
    )


def see_other(path: str) -> Redirect:
    """After a form post: the browser fetches the result page, so reloading posts nothing."""
    return Redirect(path=path, status_code=303)
