"""The small pages the alert links open in a browser, from the `alert_link` template."""

from functools import cache
from pathlib import Path
from typing import Literal

from jinja2 import Environment, FileSystemLoader, Template, select_autoescape

from stadtmelder_reports.alerts.domain import Subscription
from stadtmelder_reports.alerts.service import AlertService
from stadtmelder_reports.alerts.texts import alert_texts, known_language

Step = Literal["confirm_question", "confirmed", "cancel_question", "cancelled"]
Message = Literal["link_invalid", "was_cancelled"]
TEMPLATES = Path(__file__).parent.parent / "web" / "templates"

_TITLE = {
    "confirm_question": "confirm_title",
    "confirmed": "confirmed_title",
    "cancel_question": "cancel_title",
    "cancelled": "cancelled_title",
}
_BUTTON = {"confirm_question": "confirm_button", "cancel_question": "cancel_button"}


@cache
def _template() -> Template:
    """Loaded at the first page, not at import; the answers are plain strings (no app needed)."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["j2"]), auto_reload=False
    )
    return environment.get_template("alert_link.html.j2")


def describe(subscription: Subscription, alerts: AlertService, language: str) -> str:
    """One line saying what the alert sends, where and how often."""
    texts, area = alert_texts(language), subscription.area
    if area.centre is not None:
        where = texts["near"].format(
            radius=f"{area.radius_m or 0:.0f}",
            lat=f"{area.centre.lat:.5f}",
            lon=f"{area.centre.lon:.5f}",
        )
    else:
        district = alerts.district(area.district or "")
        where = texts["district"].format(name=district.name if district else area.district)
    category = alerts.jurisdiction.category(subscription.category or "")
    what = texts["category"].format(name=category.name(language)) if category else texts["all"]
    return texts["summary"].format(what=what, where=where, how=texts[subscription.frequency])


def step_page(subscription: Subscription, alerts: AlertService, step: Step, language: str) -> str:
    """The question a link asks (with its button), or what a click did."""
    texts = alert_texts(language)
    if step == "confirm_question" and subscription.status == "confirmed":
        step = "confirmed"
    if subscription.status == "cancelled":
        step = "cancelled"
    button = _BUTTON.get(step)
    return _page(
        known_language(language),
        texts[_TITLE[step]],
        texts[step].format(summary=describe(subscription, alerts, language)),
        texts[button] if button else None,
    )


def message_page(message: Message, language: str | None) -> str:
    return _page(known_language(language), "Stadtmelder", alert_texts(language)[message])


def _page(language: str, title: str, text: str, button: str | None = None) -> str:
    return _template().render(lang=language, title=title, text=text, button=button)
