"""The small pages the alert links open in a browser, from the `alert_link` template."""

from functools import cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from stadtmelder_reports.alerts.domain import Subscription
from stadtmelder_reports.alerts.service import AlertService
from stadtmelder_reports.citizen_links.languages import preferred_language
from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.web.texts import N_, Words

Step = Literal["confirm_question", "confirmed", "cancel_question", "cancelled"]
Message = Literal["link_invalid", "was_cancelled"]
TEMPLATES = Path(__file__).parent.parent / "web" / "templates"

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


@cache
def _template() -> Template:
    """Loaded at the first page, not at import; the answers are plain strings (no app needed)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2"]), auto_reload=False
    )
    return environment.get_template("alert_link.html.j2")


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


def step_page(subscription: Subscription, alerts: AlertService, step: Step, language: str) -> str:
    """The question a link asks (with its button), or what a click did."""
    t = Words(known_language(language))
    if step == "confirm_question" and subscription.status == "confirmed":
        step = "confirmed"
    if subscription.status == "cancelled":
        step = "cancelled"
    button = _BUTTON.get(step)
    return _page(
        t.language,
        t(_TITLE[step]),
        t(_TEXT[step], summary=describe(subscription, alerts, language)),
        t(button) if button else None,
    )


def message_page(message: Message, language: str | None) -> str:
    t = Words(known_language(language))
    return _page(t.language, "Stadtmelder", t(_TEXT[message]))


def _page(language: str, title: str, text: str, button: str | None = None) -> str:
    return _template().render(lang=language, title=title, text=text, button=button)
