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

_FRAME = {
    "de": (
        "Guten Tag,",
        "Nachricht der zuständigen Stelle",
        "Den aktuellen Stand sehen Sie hier:",
        "Ihr Stadtmelder-Team",
    ),
    "en": (
        "Hello,",
        "Message from the department",
        "You can follow your report here:",
        "The Stadtmelder team",
    ),
    "tr": (
        "Merhaba,",
        "Sorumlu birimin mesajı",
        "Bildiriminizin durumunu buradan takip edebilirsiniz:",
        "Stadtmelder ekibi",
    ),
}


def status_text(event: ReportStatusChanged, language: str, link: str) -> tuple[str, str] | None:
    """Subject and body for a public status change; None for steps citizens are not told."""
    texts = STATUS_TEXTS.get(event.status)
    if texts is None:
        return None
    subject, happened = texts.get(language) or texts["de"]
    greeting, message_from, follow, signature = _FRAME.get(language) or _FRAME["de"]
    department = (event.forwarded_to or event.department).name
    values = {
        "report_id": event.report_id,
        "department": department,
        "duplicate_of": event.duplicate_of or "",
    }
    lines = [greeting, "", happened.format(**values)]
    # Only the public comment: a rejection's reason is written for staff, not for citizens.
    note = event.public_comment
    if note:
        lines += ["", f"{message_from}:", f"    {note}"]
    lines += ["", follow, link, "", signature, ""]
    return subject.format(**values), "\n".join(lines)
