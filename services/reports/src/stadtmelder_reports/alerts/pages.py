"""The small pages the alert links open in a browser, from the `alert_link` template."""

from typing import Literal

from litestar.response import Template

from stadtmelder_reports.alerts.domain import Subscription
from stadtmelder_reports.alerts.service import AlertService
from stadtmelder_reports.citizen_links.languages import link_language, preferred_language
from stadtmelder_reports.citizen_links.pages import link_page
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.translations import N_

Step = Literal["confirm_question", "confirmed", "cancel_question", "cancelled"]
Message = Literal["link_invalid", "was_cancelled"]

# The catalogue keys of each step's title, text and button, and of each frequency.
_TITLE = {
    "confirm_question": N_("alert_link_confirm_title"),
    "confirmed": N_("alert_link_confirmed_title"),
    "cancel_question": N_("alert_link_cancel_title"),
    "cancelled": N_("alert_link_cancelled_title"),
}
_TEXT = {
    "confirm_question": N_("alert_link_confirm_question"),
    "confirmed": N_("alert_link_confirmed"),
    "cancel_question": N_("alert_link_cancel_question"),
    "cancelled": N_("alert_link_cancelled"),
    "link_invalid": N_("alert_link_invalid"),
    "was_cancelled": N_("alert_link_was_cancelled"),
}
_BUTTON = {
    "confirm_question": N_("alert_link_confirm_button"),
    "cancel_question": N_("alert_link_cancel_button"),
}
_HOW = {"immediately": N_("alert_link_immediately"), "daily": N_("alert_link_daily")}


def known_language(language: str | None) -> LanguageCode:
    """The language if we write it, else German, the city's first language."""
    return preferred_language("", language)


def describe(subscription: Subscription, alerts: AlertService, language: str) -> str:
    """One line saying what the alert sends, where and how often."""
    t, area = Words(known_language(language)), subscription.area
    if area.centre is not None:
        where = t(
            "alert_link_near",
            radius=f"{area.radius_m or 0:.0f}",
            lat=f"{area.centre.lat:.5f}",
            lon=f"{area.centre.lon:.5f}",
        )
    else:
        district = alerts.district(area.district or "")
        where = t("alert_link_district", name=district.name if district else area.district)
    category = alerts.jurisdiction.category(subscription.category or "")
    what = (
        t("alert_link_category", name=category.name(language)) if category else t("alert_link_all")
    )
    return t("alert_link_summary", what=what, where=where, how=t(_HOW[subscription.frequency]))


def step_page(
    request: AnyRequest,
    subscription: Subscription,
    alerts: AlertService,
    step: Step,
    language: str,
) -> Template:
    """The question a link asks (with its button), or what a click did, in the site's frame."""
    t = Words(link_language(request, language))
    if step == "confirm_question" and subscription.status == "confirmed":
        step = "confirmed"
    if subscription.status == "cancelled":
        step = "cancelled"
    button = _BUTTON.get(step)
    return link_page(
        request,
        "alert_link.html.j2",
        t.language,
        t(_TITLE[step]),
        text=t(_TEXT[step], summary=describe(subscription, alerts, t.language)),
        button=t(button) if button else None,
    )


def message_page(request: AnyRequest, message: Message, status_code: int) -> Template:
    t = Words(link_language(request))
    return link_page(
        request,
        "alert_link.html.j2",
        t.language,
        t("links_problem"),
        status_code,
        text=t(_TEXT[message]),
    )
