"""What reporters and supporters read when their report changes status, in their language."""

from stadtmelder_shared.events import ReportStatusChanged

# (subject, what happened) per status and language; {report_id}, {department}, {duplicate_of}.
STATUS_TEXTS: dict[str, dict[str, tuple[str, str]]] = {
    "acknowledged": {
        "de": (
            "Ihre Meldung {report_id} wird bearbeitet",
            "Die zuständige Stelle hat Ihre Meldung angenommen.",
        ),
        "en": (
            "Your report {report_id} is being handled",
            "The department has accepted your report.",
        ),
        "tr": (
            "{report_id} numaralı bildiriminiz ele alınıyor",
            "Sorumlu birim bildiriminizi kabul etti.",
        ),
    },
    "in_progress": {
        "de": ("An Ihrer Meldung {report_id} wird gearbeitet", "Die Arbeiten haben begonnen."),
        "en": ("Work on your report {report_id} has started", "The work has begun."),
        "tr": ("{report_id} numaralı bildiriminiz üzerinde çalışılıyor", "Çalışmalar başladı."),
    },
    "resolved": {
        "de": (
            "Ihre Meldung {report_id} ist erledigt",
            "Die zuständige Stelle hat den Mangel behoben.",
        ),
        "en": (
            "Your report {report_id} has been resolved",
            "The department has fixed the problem.",
        ),
        "tr": ("{report_id} numaralı bildiriminiz çözüldü", "Sorumlu birim sorunu giderdi."),
    },
    "rejected": {
        "de": (
            "Ihre Meldung {report_id} wurde abgelehnt",
            "Die zuständige Stelle kann Ihre Meldung nicht bearbeiten.",
        ),
        "en": ("Your report {report_id} was declined", "The department cannot act on your report."),
        "tr": (
            "{report_id} numaralı bildiriminiz reddedildi",
            "Sorumlu birim bildiriminizi işleme alamıyor.",
        ),
    },
    "duplicate": {
        "de": (
            "Ihre Meldung {report_id} ist schon bekannt",
            "Derselbe Mangel wurde schon gemeldet und wird unter Nummer {duplicate_of} bearbeitet.",
        ),
        "en": (
            "Your report {report_id} was already known",
            "The same problem was reported before and is handled as report {duplicate_of}.",
        ),
        "tr": (
            "{report_id} numaralı bildiriminiz zaten biliniyor",
            "Aynı sorun daha önce bildirildi ve {duplicate_of} numarasıyla ele alınıyor.",
        ),
    },
    "forwarded": {
        "de": (
            "Ihre Meldung {report_id} wurde weitergeleitet",
            "Ihre Meldung ist jetzt bei: {department}.",
        ),
        "en": ("Your report {report_id} was passed on", "Your report is now with: {department}."),
        "tr": (
            "{report_id} numaralı bildiriminiz iletildi",
            "Bildiriminiz artık şu birimde: {department}.",
        ),
    },
    "reopened": {
        "de": ("Ihre Meldung {report_id} ist wieder offen", "Ihre Meldung wird erneut bearbeitet."),
        "en": ("Your report {report_id} is open again", "Your report is being worked on again."),
        "tr": (
            "{report_id} numaralı bildiriminiz yeniden açıldı",
            "Bildiriminiz yeniden ele alınıyor.",
        ),
    },
}

# When the citizen's own "not fixed" reopened the report, the mail says why.
REOPENED_AFTER_FEEDBACK: dict[str, str] = {
    "de": "Uns wurde gemeldet, dass der Mangel noch nicht behoben ist. Ihre Meldung ist wieder "
    "bei der zuständigen Stelle und wird erneut bearbeitet.",
    "en": "We were told that the problem is not fixed yet. Your report is back with the "
    "department and will be worked on again.",
    "tr": "Sorunun henüz giderilmediği bize bildirildi. Bildiriminiz yeniden sorumlu birimde "
    "ve tekrar ele alınacak.",
}


def status_words(event: ReportStatusChanged, language: str) -> tuple[str, str] | None:
    """Subject and what happened, for a public step; None for steps citizens are not told."""
    texts = STATUS_TEXTS.get(event.status)
    if texts is None:
        return None
    subject, happened = texts.get(language) or texts["de"]
    if event.status == "reopened" and event.actor.role == "citizen":
        happened = REOPENED_AFTER_FEEDBACK.get(language) or REOPENED_AFTER_FEEDBACK["de"]
    values = {
        "report_id": event.report_id,
        "department": (event.forwarded_to or event.department).name,
        "duplicate_of": event.duplicate_of or "",
    }
    return subject.format(**values), happened.format(**values)
