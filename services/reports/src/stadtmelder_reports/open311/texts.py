"""The sentences Open311 clients show to people, in German, English and Turkish."""

from collections.abc import Mapping

from stadtmelder_reports.categories import localized

Texts = Mapping[str, str]

STATUS_NOTES: Mapping[str, Texts] = {
    "submitted": {
        "de": "Meldung eingegangen.",
        "en": "Report received.",
        "tr": "Bildirim alındı.",
    },
    "routed": {
        "de": "An die zuständige Stelle weitergeleitet.",
        "en": "Passed on to the department responsible.",
        "tr": "Sorumlu birime iletildi.",
    },
    "acknowledged": {
        "de": "Die zuständige Stelle hat die Meldung angenommen.",
        "en": "The department responsible has accepted the report.",
        "tr": "Sorumlu birim bildirimi kabul etti.",
    },
    "in_progress": {
        "de": "In Bearbeitung.",
        "en": "Work is under way.",
        "tr": "Üzerinde çalışılıyor.",
    },
    "reopened": {
        "de": "Wieder geöffnet.",
        "en": "Reopened.",
        "tr": "Yeniden açıldı.",
    },
    "resolved": {
        "de": "Erledigt.",
        "en": "Fixed.",
        "tr": "Giderildi.",
    },
    "rejected": {
        "de": "Abgelehnt.",
        "en": "Declined.",
        "tr": "Reddedildi.",
    },
    "duplicate": {
        "de": "Bereits gemeldet; die Meldung wird mit der früheren zusammen bearbeitet.",
        "en": "Already reported; it is dealt with together with the earlier report.",
        "tr": "Daha önce bildirildi; önceki bildirimle birlikte ele alınıyor.",
    },
}

ROUTED_TO: Texts = {
    "de": "Weitergeleitet an: {department}.",
    "en": "Passed on to: {department}.",
    "tr": "İletildiği birim: {department}.",
}

UNKNOWN_STATUS: Texts = {
    "de": "Neuer Stand: {status}.",
    "en": "New status: {status}.",
    "tr": "Yeni durum: {status}.",
}

SERVICE_NOTICE: Texts = {
    "de": "Danke! Ihre Meldung wird in wenigen Sekunden an die zuständige Stelle weitergeleitet.",
    "en": "Thank you! Your report is passed on to the department responsible within seconds.",
    "tr": "Teşekkürler! Bildiriminiz birkaç saniye içinde sorumlu birime iletilecek.",
}

MEDIA_URL_IGNORED: Texts = {
    "de": "Die media_url wurde nicht abgerufen; bitte senden Sie Fotos als Datei im Feld media.",
    "en": "The media_url was not fetched; please send photos as a file in the media field.",
    "tr": "media_url alınmadı; lütfen fotoğrafları media alanında dosya olarak gönderin.",
}


def status_note(status: str, language: str, department: str | None = None) -> str:
    """What a status means, for `status_notes` and the updates feed."""
    if status == "routed" and department:
        return localized(ROUTED_TO, language).format(department=department)
    if status in STATUS_NOTES:
        return localized(STATUS_NOTES[status], language)
    return localized(UNKNOWN_STATUS, language).format(status=status.replace("_", " "))
