"""E-mail to a department mailbox: a plain-text work order in the department's language."""

from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from email.message import EmailMessage
from email.utils import formatdate
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import aiosmtplib

from stadtmelder_routing.sending.methods import PermanentSendError, SendError, required
from stadtmelder_routing.words import Words
from stadtmelder_shared.citizen_events import ContactDataErased
from stadtmelder_shared.departments import Directory, SendMethod
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Answer, DepartmentRef, Language
from stadtmelder_shared.translations import N_
from stadtmelder_shared.work_item_events import WorkItemQueued

DEFAULT_STAFF_URL = "http://127.0.0.1:8000/staff/reports/{report_id}"
REOPENED_BY = {
    "citizen": N_("person_reporter"),
    "clerk": N_("person_clerk"),
    "dispatcher": N_("person_dispatcher"),
    "system": N_("person_system"),
}
SOMEONE = N_("person_someone")
# Who asked, as the notice names them: the department never learns more than the role.
ERASED_PERSON = {
    "reporter": N_("person_reporter"),
    "supporter": N_("person_supporter"),
    "alert_subscriber": N_("person_alert_subscriber"),
}
# The work order's `Label:  value` lines; every value starts after the language's longest label.
FIELDS = (
    N_("field_report"),
    N_("field_category"),
    N_("field_received"),
    N_("field_place"),
    N_("field_map"),
    N_("field_address"),
    N_("field_works"),
    N_("field_photos"),
    N_("field_edit"),
)


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
    def __init__(
        self,
        smtp: SmtpServer,
        staff_url_template: str = DEFAULT_STAFF_URL,
        directory: Directory | None = None,
    ) -> None:
        """`staff_url_template` is the staff view of one report, with `{report_id}` in it;
        `directory` says each department's language, German for one it does not know."""
        self._smtp = smtp
        self._staff_url_template = staff_url_template
        self._directory = directory or Directory(())

    async def send(self, item: WorkItemQueued, method: SendMethod) -> str | None:
        mailbox = required(method.mailbox, "mailbox", method)
        staff_url = self._staff_url_template.format(report_id=item.report_id)
        department = self._directory.get(item.department.id)
        language = department.language if department else "de"
        if department is not None:
            # Addressed by its name in the language it reads, as the directory has it.
            named = DepartmentRef(id=department.id, name=department.name(language))
            item = item.model_copy(update={"department": named})
        message = work_order(item, mailbox, self._smtp.sender, staff_url, language)
        return await self._deliver(message)

    async def send_notice(
        self, notice: ContactDataErased, method: SendMethod, language: Language = "de"
    ) -> str | None:
        """Tell the mailbox that got the report that someone's contact data was erased."""
        mailbox = required(method.mailbox, "mailbox", method)
        return await self._deliver(erasure_notice(notice, mailbox, self._smtp.sender, language))

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


def work_order(
    item: WorkItemQueued, mailbox: str, sender: str, staff_url: str, language: Language = "de"
) -> EmailMessage:
    t = Words(language)
    kind = N_("subject_reopened") if item.reopening else N_("subject_work_order")
    subject = t(kind, report_id=item.report_id, category=item.category.name(t.language))
    text = work_order_text(item, staff_url, language)
    return _mail(item, "work-item", mailbox, sender, subject, text, t.language)


def erasure_notice(
    notice: ContactDataErased, mailbox: str, sender: str, language: Language = "de"
) -> EmailMessage:
    """A plain-text notice; it names whose data, never the data or its hash."""
    t = Words(language)
    asked = t(
        "erasure_asked",
        report_id=notice.report_id,
        whose=t(ERASED_PERSON[notice.subject]),
        time=_local_time(t, notice.occurred_at),
    )
    text = "\n\n".join([asked, t("erasure_please"), _signature(t, notice)])
    subject = t("subject_erasure", report_id=notice.report_id)
    return _mail(notice, "erasure-notice", mailbox, sender, subject, text, t.language)


def _mail(
    event: Event, kind: str, mailbox: str, sender: str, subject: str, text: str, language: str
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
    message["Content-Language"] = language
    return message


def work_order_text(item: WorkItemQueued, staff_url: str, language: Language = "de") -> str:
    t = Words(language)
    field = _Fields(t)
    lines = [*_heading(t, item), ""]
    lines += [
        field("field_report", item.report_id),
        field("field_category", f"{item.category.name(t.language)} ({item.category.code})"),
        field("field_received", _local_time(t, item.submitted_at)),
    ]
    if item.location is None:
        lines.append(field("field_place", t("place_unknown")))
    else:
        lat, lon = f"{item.location.lat:.6f}", f"{item.location.lon:.6f}"
        map_url = f"https://www.openstreetmap.org/?mlat={lat}&mlon={lon}#map=19/{lat}/{lon}"
        lines += [
            field("field_place", t("place_coordinates", lat=lat, lon=lon)),
            field("field_map", map_url),
        ]
    lines.append(field("field_address", item.address or t("address_unknown")))
    lines += [
        field(
            "field_works",
            t(
                "works_around",
                title=works.title,
                operator=works.operator,
                starts=works.starts_on,
                ends=works.ends_on,
            ),
        )
        for works in item.works
    ]
    description = item.description.strip() or t("nothing_given")
    lines += ["", t("heading_description"), description, ""]
    lines += [t("heading_answers"), *_answer_lines(t, item), ""]
    lines += [field("field_photos", _photos(t, item.photo_count)), ""]
    lines += [field("field_edit", staff_url), "", _signature(t, item)]
    return "\n".join(lines)


class _Fields:
    def __init__(self, t: Words) -> None:
        self._t = t
        self._width = max(len(t(key)) for key in FIELDS) + 2

    def __call__(self, key: str, value: str) -> str:
        return f"{self._t(key):<{self._width}}{value}"


def _signature(t: Words, event: Event) -> str:
    return t("signature", event_id=event.event_id) + "\n"


def _photos(t: Words, count: int) -> str:
    # Said even when there are none, so the department knows not to look for any.
    return t.plural("photos", count) if count else t("photos_none")


def _heading(t: Words, item: WorkItemQueued) -> list[str]:
    if item.reopening is None:
        return [t("heading_new", department=item.department.name)]
    who = t(REOPENED_BY.get(item.reopening.by, SOMEONE))
    lines = [
        t("heading_reopened", who=who, report_id=item.report_id),
        t("heading_back_with", department=item.department.name),
    ]
    if item.reopening.reason:
        lines += ["", t("heading_reason"), item.reopening.reason.strip()]
    return lines


def _answer_lines(t: Words, item: WorkItemQueued) -> list[str]:
    """With the questions and answers as the citizen read them, in the department's language if
    the report has them so, else in German, else in whichever it has; codes only from older
    events."""
    labelled = item.labelled_answers
    if lines := labelled.get(t.language) or labelled.get("de") or next(iter(labelled.values()), []):
        return [
            f"  {line.question}{'' if line.question.endswith(('?', ':')) else ':'} {line.answer}"
            for line in lines
        ]
    if not item.answers:
        return [f"  {t('nothing_given')}"]
    return [f"  {code}: {_answer_text(value)}" for code, value in sorted(item.answers.items())]


def _answer_text(value: Answer) -> str:
    if isinstance(value, list):
        return ", ".join(value)
    if isinstance(value, float):
        return f"{value:g}"
    return value


def _local_time(t: Words, moment: datetime) -> str:
    zone: tzinfo
    try:
        zone = ZoneInfo("Europe/Berlin")
    except ZoneInfoNotFoundError:  # a slim image without time zone data
        zone = UTC
    local = moment.astimezone(zone)
    return t("local_time", time=local, zone=local.tzname())
