"""E-mail to a department mailbox: a plain-text work order in German."""

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from email.message import EmailMessage
from email.utils import formatdate
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiosmtplib

from stadtmelder_routing.sending.methods import PermanentSendError, SendError, required
from stadtmelder_shared.citizen_events import ContactDataErased
from stadtmelder_shared.departments import SendMethod
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Answer
from stadtmelder_shared.work_item_events import WorkItemQueued

DEFAULT_STAFF_URL = "http://127.0.0.1:8000/staff/reports/{report_id}"
REOPENED_BY = {
    "citizen": "die meldende Person",
    "clerk": "die Sachbearbeitung",
    "dispatcher": "die Leitstelle",
    "system": "Stadtmelder",
}
# Who asked, as the notice names them: the department never learns more than the role.
ERASED_PERSON = {
    "reporter": "die meldende Person",
    "supporter": "eine unterstützende Person",
    "alert_subscriber": "eine Person mit Gebietsbenachrichtigung",
}


@dataclass(frozen=True)
class SmtpServer:
    """Where and as whom work orders are sent; the same `SMTP_*` settings notify uses."""

    host: str = "127.0.0.1"
    port: int = 1025
    sender: str = "Stadtmelder Duisburg <noreply@stadtmelder.invalid>"
    username: str | None = None
    password: str | None = None
    starttls: bool = False
    timeout_s: float = 15.0


class MailboxSender:
    def __init__(self, smtp: SmtpServer, staff_url_template: str = DEFAULT_STAFF_URL) -> None:
        """`staff_url_template` is the staff view of one report, with `{report_id}` in it."""
        self._smtp = smtp
        self._staff_url_template = staff_url_template

    async def send(self, item: WorkItemQueued, method: SendMethod) -> str | None:
        mailbox = required(method.mailbox, "mailbox", method)
        staff_url = self._staff_url_template.format(report_id=item.report_id)
        return await self._deliver(work_order(item, mailbox, self._smtp.sender, staff_url))

    async def send_notice(self, notice: ContactDataErased, method: SendMethod) -> str | None:
        """Tell the mailbox that got the report that someone's contact data was erased."""
        mailbox = required(method.mailbox, "mailbox", method)
        return await self._deliver(erasure_notice(notice, mailbox, self._smtp.sender))

    async def _deliver(self, message: EmailMessage) -> str:
        try:
            await aiosmtplib.send(
                message,
                hostname=self._smtp.host,
                port=self._smtp.port,
                username=self._smtp.username,
                password=self._smtp.password,
                start_tls=self._smtp.starttls,
                timeout=self._smtp.timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as error:
            if all(refused.code >= 500 for refused in error.recipients):
                raise PermanentSendError("mail server refused the mailbox") from error
            raise SendError("mail server deferred the mailbox") from error
        except aiosmtplib.SMTPResponseException as error:
            if error.code >= 500:
                raise PermanentSendError(f"mail server refused with {error.code}") from error
            raise SendError(f"mail server answered {error.code}") from error
        except (aiosmtplib.SMTPException, OSError) as error:
            raise SendError(f"mail server not reached: {type(error).__name__}") from error
        return str(message["Message-ID"])


def work_order(item: WorkItemQueued, mailbox: str, sender: str, staff_url: str) -> EmailMessage:
    kind = "Wieder geöffnet" if item.reopening else "Arbeitsauftrag"
    subject = f"{kind} {item.report_id}: {item.category.name('de')}"
    return _german_mail(
        item, "work-item", mailbox, sender, subject, work_order_text(item, staff_url)
    )


def erasure_notice(notice: ContactDataErased, mailbox: str, sender: str) -> EmailMessage:
    """A plain-text notice in German; it names whose data, never the data or its hash."""
    whose = ERASED_PERSON[notice.subject]
    text = (
        f"Zur Meldung {notice.report_id} hat {whose} am {_local_time(notice.occurred_at)} "
        "die Löschung seiner Kontaktdaten verlangt.\n\n"
        "Bitte löschen Sie E-Mail-Adresse, Namen und Telefonnummer dieser Person zu der Meldung "
        "auch in Ihren eigenen Unterlagen und Systemen, falls Sie sie übernommen haben. "
        "Die Meldung selbst bleibt bestehen und wird weiter bearbeitet.\n\n"
        "Diese Nachricht wurde von Stadtmelder automatisch erstellt.\n"
        f"Vorgang: {notice.event_id}\n"
    )
    subject = f"Kontaktdaten gelöscht: Meldung {notice.report_id}"
    return _german_mail(notice, "erasure-notice", mailbox, sender, subject, text)


def _german_mail(
    event: Event, kind: str, mailbox: str, sender: str, subject: str, text: str
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mailbox
    message["Subject"] = subject
    # Derived from the event id: a message sent twice is recognisably the same message.
    message["Message-ID"] = f"<{kind}.{event.event_id}@stadtmelder>"
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["X-Stadtmelder-Report-Id"] = event.report_id
    message["X-Stadtmelder-Event-Id"] = event.event_id
    message.set_content(text)
    # After set_content, which replaces every Content-* header.
    message["Content-Language"] = "de"
    return message


def work_order_text(item: WorkItemQueued, staff_url: str) -> str:
    lines = [*_heading(item), ""]
    lines += [
        f"Meldung:      {item.report_id}",
        f"Kategorie:    {item.category.name('de')} ({item.category.code})",
        f"Eingegangen:  {_local_time(item.submitted_at)}",
    ]
    if item.location is None:
        lines.append("Ort:          ohne Koordinaten")
    else:
        lat, lon = f"{item.location.lat:.6f}", f"{item.location.lon:.6f}"
        map_url = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=19/{lat}/{lon}"
        lines += [f"Ort:          {lat}, {lon} (Breite, Länge)", f"Karte:        {map_url}"]
    lines.append(f"Adresse:      {item.address or 'nicht angegeben'}")
    lines += [
        f"Baustelle:    Liegt in der Baustelle „{works.title}“ ({works.operator}), "
        f"{works.starts_on:%d.%m.%Y} bis {works.ends_on:%d.%m.%Y}"
        for works in item.works
    ]
    lines += ["", "Beschreibung:", item.description.strip() or "(keine)", ""]
    lines += ["Angaben:", *_answer_lines(item), ""]
    lines += [f"Fotos:        {_photos(item.photo_count)}", ""]
    lines += [
        f"Bearbeiten:   {staff_url}",
        "",
        "Diese Nachricht wurde von Stadtmelder automatisch erstellt.",
        f"Vorgang: {item.event_id}",
    ]
    return "\n".join(lines) + "\n"


def _photos(count: int) -> str:
    # Said even when there are none, so the department knows not to look for any.
    if not count:
        return "keine"
    photos = "1 Foto" if count == 1 else f"{count} Fotos"
    return f"{photos}, zu sehen auf der Seite der Meldung"


def _heading(item: WorkItemQueued) -> list[str]:
    if item.reopening is None:
        return [f"Neuer Arbeitsauftrag für {item.department.name}"]
    who = REOPENED_BY.get(item.reopening.by, "jemand")
    lines = [
        f"Wieder geöffnet: {who} sagt, die Meldung {item.report_id} ist nicht erledigt.",
        f"Sie liegt wieder bei {item.department.name}.",
    ]
    if item.reopening.reason:
        lines += ["", "Begründung:", item.reopening.reason.strip()]
    return lines


def _answer_lines(item: WorkItemQueued) -> list[str]:
    """With the questions and answers as the citizen read them; codes only from older events."""
    if labelled := item.labelled_answers.get("de"):
        return [
            f"  {line.question}{'' if line.question.endswith(('?', ':')) else ':'} {line.answer}"
            for line in labelled
        ]
    if not item.answers:
        return ["  (keine)"]
    return [f"  {code}: {_answer_text(value)}" for code, value in sorted(item.answers.items())]


def _answer_text(value: Answer) -> str:
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, float):
        return f"{value:g}"
    return value


def _local_time(moment: datetime) -> str:
    zone: tzinfo
    try:
        zone = ZoneInfo("Europe/Berlin")
    except ZoneInfoNotFoundError:  # a slim image without time zone data
        zone = UTC
    local = moment.astimezone(zone)
    return f"{local:%d.%m.%Y %H:%M} Uhr ({local.tzname()})"
