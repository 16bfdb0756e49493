"""What the pages of the alert links say, in German, English and Turkish, looked up by key."""

from collections.abc import Mapping

_TEXTS: Mapping[str, Mapping[str, str]] = {
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


def known_language(language: str | None) -> str:
    """The language if we write it, else German, the city's first language."""
    return language if language is not None and language in _TEXTS else "de"


def alert_texts(language: str | None) -> Mapping[str, str]:
    """The texts of one language, German for a language we do not write."""
    return _TEXTS[known_language(language)]
