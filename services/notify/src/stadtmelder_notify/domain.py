"""What we tell reporters and how: mails in their language, and who already got which message."""

import hashlib
from dataclasses import dataclass

from stadtmelder_notify.status_texts import status_text
from stadtmelder_shared.events import (
    ReportOverdue,
    ReportRouted,
    ReportStatusChanged,
    ReportSupported,
)


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    message_id: str


def delivery_key(event_id: str, recipient: str, channel: str) -> str:
    """Identifies one message to one recipient on one channel, without storing the address."""
    digest = hashlib.sha256(f"{event_id}|{recipient.lower()}|{channel}".encode()).hexdigest()
    return digest[:40]


_ROUTED = {
    "de": (
        "Ihre Meldung {report_id} ist bei der zuständigen Stelle",
        "Guten Tag,\n\n"
        "vielen Dank für Ihre Meldung „{category}“.\n"
        "Sie wurde an die zuständige Stelle weitergeleitet:\n\n"
        "    {department}\n\n"
        "Ihre Meldung hat die Nummer {report_id}. Den aktuellen Stand sehen Sie hier:\n"
        "{link}\n\n"
        "Wir schreiben Ihnen, sobald sich etwas ändert.\n\n"
        "Ihr Stadtmelder-Team\n",
    ),
    "en": (
        "Your report {report_id} has reached the responsible department",
        "Hello,\n\n"
        'thank you for your report "{category}".\n'
        "We have passed it on to the department responsible:\n\n"
        "    {department}\n\n"
        "Your report number is {report_id}. You can follow its progress here:\n"
        "{link}\n\n"
        "We will write to you as soon as anything changes.\n\n"
        "The Stadtmelder team\n",
    ),
    "tr": (
        "{report_id} numaralı bildiriminiz sorumlu birime iletildi",
        "Merhaba,\n\n"
        "“{category}” bildiriminiz için teşekkür ederiz.\n"
        "Bildiriminizi sorumlu birime ilettik:\n\n"
        "    {department}\n\n"
        "Bildirim numaranız {report_id}. Güncel durumu buradan takip edebilirsiniz:\n"
        "{link}\n\n"
        "Bir değişiklik olur olmaz size yazacağız.\n\n"
        "Stadtmelder ekibi\n",
    ),
}


_SUPPORTED = {
    "de": (
        "Sie unterstützen jetzt die Meldung {report_id}",
        "Guten Tag,\n\n"
        "danke, dass Sie die Meldung {report_id} unterstützen, statt eine neue zu schreiben.\n"
        "Sie ist jetzt {count}-mal unterstützt worden. So sieht die Stadt, wie wichtig sie ist.\n\n"
        "Wir schreiben Ihnen bei jedem weiteren Schritt. Den Stand sehen Sie hier:\n"
        "{link}\n\n"
        "Ihr Stadtmelder-Team\n",
    ),
    "en": (
        "You now support report {report_id}",
        "Hello,\n\n"
        "thank you for supporting report {report_id} instead of filing a new one.\n"
        "It now has {count} supporters, which shows the city how much it matters.\n\n"
        "We will write to you at every further step. You can follow it here:\n"
        "{link}\n\n"
        "The Stadtmelder team\n",
    ),
    "tr": (
        "Artık {report_id} numaralı bildirimi destekliyorsunuz",
        "Merhaba,\n\n"
        "yeni bir bildirim yazmak yerine {report_id} numaralı bildirimi desteklediğiniz için "
        "teşekkür ederiz.\n"
        "Bildirim şimdiye kadar {count} kez desteklendi. Böylece belediye konunun ne kadar "
        "önemli olduğunu görüyor.\n\n"
        "Her yeni adımda size yazacağız. Durumu buradan takip edebilirsiniz:\n"
        "{link}\n\n"
        "Stadtmelder ekibi\n",
    ),
}


def report_link(base_url: str, report_id: str, language: str) -> str:
    return f"{base_url.rstrip('/')}/api/v1/reports/{report_id}?lang={language}"


def supported_mail(event: ReportSupported, recipient: str, language: str, base_url: str) -> Mail:
    subject, body = _SUPPORTED.get(language, _SUPPORTED["de"])
    values = {
        "report_id": event.report_id,
        "count": str(event.supporter_count),
        "link": report_link(base_url, event.report_id, language),
    }
    return Mail(
        to=recipient,
        subject=subject.format(**values),
        text=body.format(**values),
        message_id=f"<{delivery_key(event.event_id, recipient, 'email')}@stadtmelder>",
    )


def routed_mail(event: ReportRouted, recipient: str, language: str, base_url: str) -> Mail:
    subject, body = _ROUTED.get(language, _ROUTED["de"])
    values = {
        "report_id": event.report_id,
        "category": event.category.name(language),
        "department": event.department.name,
        "link": report_link(base_url, event.report_id, language),
    }
    return Mail(
        to=recipient,
        subject=subject.format(**values),
        text=body.format(**values),
        # The same event always yields the same Message-ID, so a resent mail is recognisable.
        message_id=f"<{delivery_key(event.event_id, recipient, 'email')}@stadtmelder>",
    )


def status_mail(
    event: ReportStatusChanged, recipient: str, language: str, base_url: str
) -> Mail | None:
    text = status_text(event, language, report_link(base_url, event.report_id, language))
    if text is None:
        return None
    subject, body = text
    return Mail(
        to=recipient,
        subject=subject,
        text=body,
        message_id=f"<{delivery_key(event.event_id, recipient, 'email')}@stadtmelder>",
    )


def overdue_mail(event: ReportOverdue, lead: str, staff_url: str) -> Mail:
    """For the department lead: internal, in German, the city's working language."""
    return Mail(
        to=lead,
        subject=f"Überfällig: Meldung {event.report_id} ({event.department.name})",
        text=(
            "Guten Tag,\n\n"
            f"die Meldung {event.report_id} hätte bis {event.due_at:%d.%m.%Y %H:%M} UTC "
            "erledigt sein sollen und ist noch offen.\n\n"
            f"Zur Meldung: {staff_url}\n\nStadtmelder\n"
        ),
        message_id=f"<{delivery_key(event.event_id, lead, 'email')}@stadtmelder>",
    )
