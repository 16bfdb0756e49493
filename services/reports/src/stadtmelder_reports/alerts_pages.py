"""The small pages the alert links open in a browser, in German, English and Turkish."""

import html
from typing import Literal

from stadtmelder_reports.alerts import AlertService, Subscription

Step = Literal["confirm_question", "confirmed", "cancel_question", "cancelled"]
Message = Literal["link_invalid", "was_cancelled"]

_TEXTS: dict[str, dict[str, str]] = {
    "de": {
        "near": "im Umkreis von {radius} m um den Punkt {lat}, {lon}",
        "district": "im Stadtbezirk {name}",
        "all": "alle neuen Meldungen",
        "category": "neue Meldungen „{name}“",
        "immediately": "sofort per E-Mail",
        "daily": "einmal am Tag als Zusammenfassung",
        "summary": "{what} {where}, {how}",
        "confirm_title": "Benachrichtigung bestätigen",
        "confirm_question": "Möchten Sie diese Benachrichtigung bekommen? {summary}.",
        "confirm_button": "Ja, Benachrichtigung einschalten",
        "confirmed_title": "Benachrichtigung ist eingeschaltet",
        "confirmed": "Fertig. Sie bekommen ab jetzt {summary}. "
        "In jeder E-Mail steht ein Link zum Abbestellen.",
        "cancel_title": "Benachrichtigung abbestellen",
        "cancel_question": "Möchten Sie diese Benachrichtigung abbestellen? {summary}.",
        "cancel_button": "Ja, abbestellen",
        "cancelled_title": "Benachrichtigung ist abbestellt",
        "cancelled": "Abbestellt. Sie bekommen dazu keine E-Mails mehr.",
        "link_invalid": "Dieser Link ist ungültig oder abgelaufen. Bitte prüfen Sie, ob er "
        "vollständig ist, oder bestellen Sie die Benachrichtigung neu.",
        "was_cancelled": "Diese Benachrichtigung wurde abbestellt. "
        "Sie können sie jederzeit neu bestellen.",
    },
    "en": {
        "near": "within {radius} m of the point {lat}, {lon}",
        "district": "in the district of {name}",
        "all": "all new reports",
        "category": 'new reports of "{name}"',
        "immediately": "right away by e-mail",
        "daily": "once a day as a summary",
        "summary": "{what} {where}, {how}",
        "confirm_title": "Confirm your alert",
        "confirm_question": "Would you like to get this alert? {summary}.",
        "confirm_button": "Yes, switch the alert on",
        "confirmed_title": "Your alert is on",
        "confirmed": "Done. From now on you get {summary}. "
        "Every e-mail has a link to stop the alert.",
        "cancel_title": "Stop your alert",
        "cancel_question": "Would you like to stop this alert? {summary}.",
        "cancel_button": "Yes, stop it",
        "cancelled_title": "Your alert is stopped",
        "cancelled": "Stopped. You will get no more e-mails for it.",
        "link_invalid": "This link is not valid or has expired. Please check it is complete, "
        "or subscribe again.",
        "was_cancelled": "This alert was stopped. You can subscribe again at any time.",
    },
    "tr": {
        "near": "{lat}, {lon} noktasının {radius} m çevresinde",
        "district": "{name} ilçesinde",
        "all": "tüm yeni bildirimler",
        "category": "“{name}” ile ilgili yeni bildirimler",
        "immediately": "hemen e-posta ile",
        "daily": "günde bir kez özet olarak",
        "summary": "{where} {what}, {how}",
        "confirm_title": "Bildirimi onaylayın",
        "confirm_question": "Bu bildirimi almak istiyor musunuz? {summary}.",
        "confirm_button": "Evet, bildirimi aç",
        "confirmed_title": "Bildirim açıldı",
        "confirmed": "Tamam. Bundan sonra size gönderilecek: {summary}. "
        "Her e-postada aboneliği bitirmek için bir bağlantı bulunur.",
        "cancel_title": "Bildirimi durdurun",
        "cancel_question": "Bu bildirimi durdurmak istiyor musunuz? {summary}.",
        "cancel_button": "Evet, durdur",
        "cancelled_title": "Bildirim durduruldu",
        "cancelled": "Durduruldu. Bu konuda artık e-posta almayacaksınız.",
        "link_invalid": "Bu bağlantı geçersiz veya süresi dolmuş. Lütfen bağlantının eksiksiz "
        "olduğunu kontrol edin ya da yeniden abone olun.",
        "was_cancelled": "Bu bildirim durduruldu. İstediğiniz zaman yeniden abone olabilirsiniz.",
    },
}


_TITLE = {
    "confirm_question": "confirm_title",
    "confirmed": "confirmed_title",
    "cancel_question": "cancel_title",
    "cancelled": "cancelled_title",
}
_BUTTON = {"confirm_question": "confirm_button", "cancel_question": "cancel_button"}


def known_language(language: str | None) -> str:
    """The language if we write it, else German, the city's first language."""
    return language if language in _TEXTS else "de"


def describe(subscription: Subscription, alerts: AlertService, language: str) -> str:
    """One line saying what the alert sends, where and how often."""
    texts, area = _TEXTS[known_language(language)], subscription.area
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
    language = known_language(language)
    texts = _TEXTS[language]
    if step == "confirm_question" and subscription.status == "confirmed":
        step = "confirmed"
    if subscription.status == "cancelled":
        step = "cancelled"
    button = _BUTTON.get(step)
    return _page(
        language,
        texts[_TITLE[step]],
        texts[step].format(summary=describe(subscription, alerts, language)),
        texts[button] if button else None,
    )


def message_page(message: Message, language: str | None) -> str:
    language = known_language(language)
    return _page(language, "Stadtmelder", _TEXTS[language][message])


def _page(language: str, title: str, text: str, button: str | None = None) -> str:
    """The button posts back to the link itself: opening a link changes nothing (mail
    scanners open links too), one click does."""
    form = (
        f'<form method="post"><button type="submit">{html.escape(button)}</button></form>'
        if button
        else ""
    )
    return (
        f'<!doctype html><html lang="{language}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)} – Stadtmelder</title></head>"
        f"<body><main><h1>{html.escape(title)}</h1><p>{html.escape(text)}</p>{form}</main>"
        "</body></html>"
    )
