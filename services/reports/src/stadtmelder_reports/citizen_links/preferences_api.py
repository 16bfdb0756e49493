"""The unsubscribe and language links in every mail's footer.

Notify signs the links with `NOTIFY_LINK_SECRET`; this service checks them with the same secret
and announces the choice as NotificationPreferencesChanged, with the recipient's key (a hash),
never an address: notify keeps the addresses and honours the choice. Opening a link (GET) only
shows what it would do, because mail scanners open links; a POST does it. RFC 8058's one-click
unsubscribe is such a POST, sent by the mail client itself.
"""

from typing import Any

from litestar import Controller, Response, get, post
from litestar.openapi.spec import OpenAPIType, Schema
from litestar.params import FromPath, FromQuery

from stadtmelder_reports.citizen_links import pages
from stadtmelder_reports.citizen_links.languages import LANGUAGES, link_language
from stadtmelder_reports.http.declared_responses import BY_KEY, body_read_by_hand, declared
from stadtmelder_reports.http.requests import AnyRequest, Choices, Service
from stadtmelder_reports.http.schemas import LanguageCode, PreferencesIn, PreferencesOut
from stadtmelder_reports.web.rendering import remembered
from stadtmelder_reports.web.texts import LANGUAGE_NAMES, Words
from stadtmelder_shared.link_tokens import LinkPurpose

# PreferencesIn as JSON or as the page's form, which the route reads itself.
CHOICE_BODY = Schema(
    type=OpenAPIType.OBJECT,
    properties={
        "opted_out": Schema(type=OpenAPIType.BOOLEAN),
        "language": Schema(type=OpenAPIType.STRING, enum=list(LANGUAGES)),
    },
)


class PreferencesController(Controller):
    """`/api/v1/notifications/...`: the links in every mail's footer."""

    path = "/api/v1/notifications"
    tags = ["notifications"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    dependencies = pages.link_dependencies(LinkPurpose.PREFERENCES)
    exception_handlers = pages.LINK_ERRORS

    @get("/unsubscribe/{token:str}", responses=declared(*BY_KEY))
    async def show_unsubscribe(
        self, request: AnyRequest, service: Service, holder: pages.Holder
    ) -> Response[Any]:
        """What the unsubscribe link would do; opening it changes nothing."""
        report = await service.public_report(holder.report_id)
        t = Words(link_language(request))
        if not pages.wants_html(request):
            return _what_a_post_does(report.id, None, t("links_unsubscribe_how"))
        title = t("links_unsubscribe_title", report_id=report.id)
        return pages.link_page(request, "links_unsubscribe.html.j2", t.language, title)

    @post("/unsubscribe/{token:str}", status_code=200, responses=declared(*BY_KEY))
    async def unsubscribe(
        self, request: AnyRequest, choices: Choices, holder: pages.Holder, token: FromPath[str]
    ) -> Response[Any]:
        """No more mail about this report to the link's recipient; also RFC 8058's one click."""
        await choices.change_notification_preferences(
            holder.report_id, holder.recipient, opted_out=True
        )
        t = Words(link_language(request))
        done = t("links_unsubscribed", report_id=holder.report_id)
        if not pages.wants_html(request):
            return Response(
                PreferencesOut(
                    report_id=holder.report_id, opted_out=True, language=None, detail=done
                )
            )
        return pages.link_page(request, "links_unsubscribed.html.j2", t.language, done, token=token)

    @get("/preferences/{token:str}", responses=declared(*BY_KEY))
    async def show_preferences(
        self,
        request: AnyRequest,
        service: Service,
        holder: pages.Holder,
        language: FromQuery[LanguageCode | None] = None,
    ) -> Response[Any]:
        """A form to choose the mail's language, with `language` chosen; changes nothing."""
        report = await service.public_report(holder.report_id)
        shown = link_language(request, language)
        t = Words(shown)
        if not pages.wants_html(request):
            return _what_a_post_does(report.id, language, t("links_preferences_how"))
        return pages.link_page(
            request,
            "links_preferences.html.j2",
            shown,
            t("links_settings_title", report_id=report.id),
            mail_languages=LANGUAGE_NAMES,
            chosen=language or shown,
        )

    @post(
        "/preferences/{token:str}",
        status_code=200,
        responses=declared(*BY_KEY, 413),
        operation_class=body_read_by_hand(CHOICE_BODY, required=False),
    )
    async def change_preferences(
        self, request: AnyRequest, choices: Choices, holder: pages.Holder
    ) -> Response[Any]:
        choice = PreferencesIn.model_validate(await pages.submitted_fields(request))
        await choices.change_notification_preferences(
            holder.report_id, holder.recipient, choice.opted_out, choice.language
        )
        # The page follows the language just chosen for the mails, and so do the next ones.
        language = choice.language or link_language(request)
        t = Words(language)
        done = (
            t("links_resubscribed", report_id=holder.report_id)
            if choice.opted_out is False
            else t("links_saved")
        )
        if not pages.wants_html(request):
            return Response(
                PreferencesOut(
                    report_id=holder.report_id,
                    opted_out=choice.opted_out,
                    language=choice.language,
                    detail=done,
                )
            )
        shown = pages.message_page(
            request, language, t("links_settings_title", report_id=holder.report_id), done
        )
        if choice.language is not None:
            shown.cookies.append(remembered(choice.language))
        return shown


def _what_a_post_does(report_id: str, language: LanguageCode | None, detail: str) -> Response[Any]:
    """The JSON answer of opening a link: nothing changed, `detail` says what a POST changes."""
    return Response(
        PreferencesOut(report_id=report_id, opted_out=None, language=language, detail=detail)
    )
