"""Links from citizens' mails: checking their signed tokens, and the endpoints that unsubscribe
from a report's mail or choose the mail's language.

Notify signs the links with `NOTIFY_LINK_SECRET`; this service checks them with the same secret
and announces the choice as NotificationPreferencesChanged, with the recipient's key (a hash),
never an address: notify keeps the addresses and honours the choice. Opening a link (GET) only
shows what it would do, because mail scanners open links; a POST does it. RFC 8058's one-click
unsubscribe is such a POST, sent by the mail client itself.
"""

import base64
import hashlib
import hmac
import json
import re
from dataclasses import dataclass
from html import escape
from typing import Any, Literal

from litestar import Controller, MediaType, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import FromPath, FromQuery
from litestar.status_codes import HTTP_400_BAD_REQUEST, HTTP_404_NOT_FOUND
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.declared_responses import BY_KEY, body_read_by_hand, declared
from stadtmelder_reports.errors import ReportNotFound, ReportsError
from stadtmelder_reports.http_errors import error_response
from stadtmelder_reports.schemas import LanguageCode, PreferencesIn, PreferencesOut
from stadtmelder_reports.service import ReportService

LinkPurpose = Literal["feedback", "preferences"]
# Notify's development default (`stadtmelder_notify.links`); refused behind a public base URL.
DEVELOPMENT_LINK_SECRET = "development-only-link-secret-not-for-production"  # noqa: S105
LANGUAGES: tuple[LanguageCode, ...] = ("de", "en", "tr")
_MAC_BYTES = 18
_RECIPIENT_KEY = re.compile(r"[0-9a-f]{64}")
AnyRequest = Request[Any, Any, Any]
# PreferencesIn as JSON or as the page's form, which the route reads itself.
CHOICE_BODY = Schema(
    type=OpenAPIType.OBJECT,
    properties={
        "opted_out": Schema(type=OpenAPIType.BOOLEAN),
        "language": Schema(type=OpenAPIType.STRING, enum=list(LANGUAGES)),
    },
)


# --- signed links ---------------------------------------------------------------------------


class LinkInvalid(ReportsError):
    """A feedback or preferences link that was not signed by us, or was cut short (404)."""

    def __init__(self) -> None:
        super().__init__("This link is not valid. Please check that it was copied completely.")


@dataclass(frozen=True)
class LinkHolder:
    """Whom a signed link was made for: a report and a recipient key, never an address."""

    report_id: str
    recipient: str


def link_token(secret: bytes, purpose: LinkPurpose, report_id: str, recipient: str) -> str:
    """The same as `stadtmelder_notify.links.link_token`; a unit test keeps them equal."""
    message = f"stadtmelder-link|v1|{purpose}|{report_id}|{recipient}".encode()
    mac = hmac.new(secret, message, hashlib.sha256).digest()[:_MAC_BYTES]
    return f"{report_id}.{recipient}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


class LinkTokens:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def check(self, token: str, purpose: LinkPurpose) -> LinkHolder:
        report_id, _, rest = token.partition(".")
        recipient, _, _ = rest.partition(".")
        if not report_id or not _RECIPIENT_KEY.fullmatch(recipient):
            raise LinkInvalid()
        expected = link_token(self._secret, purpose, report_id, recipient)
        if not hmac.compare_digest(expected.encode(), token.encode()):
            raise LinkInvalid()
        return LinkHolder(report_id, recipient)


Tokens = NamedDependency[LinkTokens]
Service = NamedDependency[ReportService]


# --- pages and answers ----------------------------------------------------------------------


def wants_html(request: AnyRequest) -> bool:
    """Browsers ask for HTML; apps and scripts get JSON."""
    return request.accept.best_match(["application/json", "text/html"]) == "text/html"


def page_language(request: AnyRequest, chosen: str | None = None) -> LanguageCode:
    """The language the link names, else the browser's first one we have, else German."""
    if chosen in LANGUAGES:
        return chosen
    ranked = []
    for part in request.headers.get("accept-language", "").split(","):
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


def html_page(language: str, title: str, body: str, status_code: int = 200) -> Response[str]:
    """A small accessible page; the token in its address stays out of caches and referrers."""
    page = (
        "<!DOCTYPE html>\n"
        f'<html lang="{escape(language)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{escape(title)} – Stadtmelder</title>\n</head>\n"
        '<body style="margin:0;background:#ffffff;color:#1a1a1a;">\n'
        '<main style="max-width:40rem;margin:0 auto;padding:1.5rem;'
        'font-family:Arial,Helvetica,sans-serif;font-size:1.125rem;line-height:1.5;">\n'
        f'<h1 style="font-size:1.5rem;">{escape(title)}</h1>\n{body}\n</main>\n</body>\n</html>\n'
    )
    return Response(
        page,
        media_type=MediaType.HTML,
        status_code=status_code,
        headers={
            "cache-control": "no-store",
            "referrer-policy": "no-referrer",
            "x-robots-tag": "noindex",
            "content-security-policy": (
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"
            ),
        },
    )


BUTTON = (
    'style="font-size:1.125rem;padding:0.5rem 1.25rem;border:2px solid #004a8f;'
    'background:#004a8f;color:#ffffff;border-radius:4px;cursor:pointer;"'
)


def paragraph(text: str) -> str:
    return f"<p>{escape(text)}</p>"


async def submitted_fields(request: AnyRequest) -> dict[str, Any]:
    """The fields of a JSON body or of a form (the pages' forms, RFC 8058's one click)."""
    media_type, _ = request.content_type
    if media_type == "application/json":
        raw = await request.body()
        try:
            fields = json.loads(raw) if raw.strip() else {}
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            raise BadAnswer("Send a JSON object.")
        return fields
    if media_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.form()
        return {key: form.get(key) for key in form}
    return {}


class BadAnswer(ReportsError):
    """A body we cannot read (400)."""


def on_link_error(request: AnyRequest, error: ReportsError) -> Response[Any]:
    """Errors of the mail links: a page for people, the API's error body for apps."""
    status, code = {
        LinkInvalid: (HTTP_404_NOT_FOUND, "link_invalid"),
        ReportNotFound: (HTTP_404_NOT_FOUND, "report_not_found"),
        BadAnswer: (HTTP_400_BAD_REQUEST, "invalid_request"),
    }.get(type(error), (HTTP_400_BAD_REQUEST, "invalid_request"))
    if wants_html(request):
        language = page_language(request, request.query_params.get("lang"))
        words = _texts(language)
        message = (
            words["invalid"] if isinstance(error, LinkInvalid | ReportNotFound) else str(error)
        )
        return html_page(language, words["problem"], paragraph(message), status)
    return error_response(status, code, str(error))


LINK_ERRORS: ExceptionHandlersMap = {
    LinkInvalid: on_link_error,
    BadAnswer: on_link_error,
    ReportNotFound: on_link_error,
}


# --- unsubscribe and language ---------------------------------------------------------------

_PAGES: dict[str, dict[str, str]] = {
    "de": {
        "unsubscribe_title": "Keine E-Mails mehr zur Meldung {report_id}?",
        "unsubscribe_what": "Sie bekommen dann keine E-Mails mehr zu dieser Meldung. "
        "Andere Meldungen betrifft das nicht.",
        "unsubscribe_button": "Ja, keine E-Mails mehr",
        "unsubscribed": "Erledigt: Sie bekommen keine E-Mails mehr zur Meldung {report_id}.",
        "resubscribe_button": "Doch wieder E-Mails bekommen",
        "settings_title": "Ihre Einstellungen für die Meldung {report_id}",
        "language_legend": "In welcher Sprache möchten Sie die E-Mails?",
        "save_button": "Speichern",
        "saved": "Gespeichert. Wir schreiben Ihnen zu dieser Meldung wie gewählt.",
        "resubscribed": "Gespeichert: Sie bekommen wieder E-Mails zur Meldung {report_id}.",
        "problem": "Das hat nicht geklappt",
        "invalid": "Dieser Link ist nicht gültig. Bitte prüfen Sie, ob er vollständig kopiert "
        "wurde.",
    },
    "en": {
        "unsubscribe_title": "No more e-mails about report {report_id}?",
        "unsubscribe_what": "You will then get no more e-mails about this report. "
        "Other reports are not affected.",
        "unsubscribe_button": "Yes, no more e-mails",
        "unsubscribed": "Done: you will get no more e-mails about report {report_id}.",
        "resubscribe_button": "Get e-mails again after all",
        "settings_title": "Your settings for report {report_id}",
        "language_legend": "In which language would you like the e-mails?",
        "save_button": "Save",
        "saved": "Saved. We will write to you about this report as you chose.",
        "resubscribed": "Saved: you will get e-mails about report {report_id} again.",
        "problem": "That did not work",
        "invalid": "This link is not valid. Please check that it was copied completely.",
    },
    "tr": {
        "unsubscribe_title": "{report_id} numaralı bildirimle ilgili artık e-posta "
        "gönderilmesin mi?",
        "unsubscribe_what": "Bu bildirimle ilgili artık e-posta almazsınız. "
        "Diğer bildirimler bundan etkilenmez.",
        "unsubscribe_button": "Evet, e-posta gönderilmesin",
        "unsubscribed": "Tamam: {report_id} numaralı bildirimle ilgili artık e-posta "
        "almayacaksınız.",
        "resubscribe_button": "Yine de e-posta almak istiyorum",
        "settings_title": "{report_id} numaralı bildirim için ayarlarınız",
        "language_legend": "E-postaları hangi dilde almak istersiniz?",
        "save_button": "Kaydet",
        "saved": "Kaydedildi. Bu bildirimle ilgili size seçtiğiniz şekilde yazacağız.",
        "resubscribed": "Kaydedildi: {report_id} numaralı bildirimle ilgili yeniden e-posta "
        "alacaksınız.",
        "problem": "Bu işlem yapılamadı",
        "invalid": "Bu bağlantı geçerli değil. Lütfen bağlantının eksiksiz kopyalandığını "
        "kontrol edin.",
    },
}
LANGUAGE_NAMES = {"de": "Deutsch", "en": "English", "tr": "Türkçe"}


def _texts(language: str) -> dict[str, str]:
    return _PAGES.get(language) or _PAGES["de"]


class PreferencesController(Controller):
    """`/api/v1/notifications/...`: the links in every mail's footer."""

    path = "/api/v1/notifications"
    tags = ["notifications"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    exception_handlers = LINK_ERRORS

    @get("/unsubscribe/{token:str}", responses=declared(*BY_KEY))
    async def show_unsubscribe(
        self, request: AnyRequest, service: Service, link_tokens: Tokens, token: FromPath[str]
    ) -> Response[Any]:
        """What the unsubscribe link would do; opening it changes nothing."""
        holder = link_tokens.check(token, "preferences")
        report = await service.public_report(holder.report_id)
        if not wants_html(request):
            return Response(
                PreferencesOut(
                    report_id=report.id,
                    opted_out=None,
                    language=None,
                    detail="POST to this address to get no more e-mails about this report "
                    "(one-click unsubscribe, RFC 8058).",
                )
            )
        language = page_language(request)
        words = _texts(language)
        body = (
            paragraph(words["unsubscribe_what"])
            + f'<form method="post"><button type="submit" {BUTTON}>'
            f"{escape(words['unsubscribe_button'])}</button></form>"
        )
        return html_page(language, words["unsubscribe_title"].format(report_id=report.id), body)

    @post("/unsubscribe/{token:str}", status_code=200, responses=declared(*BY_KEY))
    async def unsubscribe(
        self, request: AnyRequest, service: Service, link_tokens: Tokens, token: FromPath[str]
    ) -> Response[Any]:
        """No more mail about this report to the link's recipient; also RFC 8058's one click."""
        holder = link_tokens.check(token, "preferences")
        await service.change_notification_preferences(
            holder.report_id, holder.recipient, opted_out=True
        )
        language = page_language(request)
        words = _texts(language)
        done = words["unsubscribed"].format(report_id=holder.report_id)
        if not wants_html(request):
            return Response(
                PreferencesOut(
                    report_id=holder.report_id, opted_out=True, language=None, detail=done
                )
            )
        undo = (
            f'<form method="post" action="../preferences/{escape(token, quote=True)}">'
            '<input type="hidden" name="opted_out" value="false">'
            f'<button type="submit" {BUTTON}>{escape(words["resubscribe_button"])}</button></form>'
        )
        return html_page(language, words["unsubscribed"].format(report_id=holder.report_id), undo)

    @get("/preferences/{token:str}", responses=declared(*BY_KEY))
    async def show_preferences(
        self,
        request: AnyRequest,
        service: Service,
        link_tokens: Tokens,
        token: FromPath[str],
        language: FromQuery[LanguageCode | None] = None,
    ) -> Response[Any]:
        """A form to choose the mail's language, with `language` chosen; changes nothing."""
        holder = link_tokens.check(token, "preferences")
        report = await service.public_report(holder.report_id)
        if not wants_html(request):
            return Response(
                PreferencesOut(
                    report_id=report.id,
                    opted_out=None,
                    language=language,
                    detail='POST {"language": ..., "opted_out": ...} to this address to '
                    "change how we write to you about this report.",
                )
            )
        shown = page_language(request, language)
        words = _texts(shown)
        options = "".join(
            f'<p><input type="radio" id="language-{code}" name="language" value="{code}"'
            f"{' checked' if code == (language or shown) else ''}> "
            f'<label for="language-{code}" lang="{code}">{name}</label></p>'
            for code, name in LANGUAGE_NAMES.items()
        )
        body = (
            f'<form method="post"><fieldset style="border:none;padding:0;">'
            f"<legend>{escape(words['language_legend'])}</legend>{options}</fieldset>"
            f'<button type="submit" {BUTTON}>{escape(words["save_button"])}</button></form>'
        )
        return html_page(shown, words["settings_title"].format(report_id=report.id), body)

    @post(
        "/preferences/{token:str}",
        status_code=200,
        responses=declared(*BY_KEY, 413),
        operation_class=body_read_by_hand(CHOICE_BODY, required=False),
    )
    async def change_preferences(
        self, request: AnyRequest, service: Service, link_tokens: Tokens, token: FromPath[str]
    ) -> Response[Any]:
        holder = link_tokens.check(token, "preferences")
        choice = PreferencesIn.model_validate(await submitted_fields(request))
        await service.change_notification_preferences(
            holder.report_id, holder.recipient, choice.opted_out, choice.language
        )
        language = page_language(request, choice.language)
        words = _texts(language)
        done = (
            words["resubscribed"].format(report_id=holder.report_id)
            if choice.opted_out is False
            else words["saved"]
        )
        if not wants_html(request):
            return Response(
                PreferencesOut(
                    report_id=holder.report_id,
                    opted_out=choice.opted_out,
                    language=choice.language,
                    detail=done,
                )
            )
        return html_page(
            language, words["settings_title"].format(report_id=holder.report_id), paragraph(done)
        )
