"""What we tell citizens and how: mails in their language, and the rules of when to send them."""

from datetime import datetime, tzinfo

from stadtmelder_notify.core.status_texts import status_words
from stadtmelder_notify.core.texts import (
    CONFIRMATION,
    FEEDBACK,
    FOOTER,
    FRAME,
    LANGUAGE_CHOICES,
    MONTHS,
    ROUTED,
    SUPPORTED,
    texts,
)
from stadtmelder_notify.delivery.domain import Mail, delivery_key
from stadtmelder_notify.delivery.letter import (
    Block,
    Facts,
    Letter,
    Link,
    Links,
    Paragraph,
    Quote,
    as_html,
    as_text,
)
from stadtmelder_notify.links import MailLinks
from stadtmelder_shared.events import (
    ReportOverdue,
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
    ReportSupported,
)

# --- rules ----------------------------------------------------------------------------------


def is_worth_a_mail(event: ReportStatusChanged) -> bool:
    """Every public step is, except "work has started" without a word from the department.

    Right after "your report was accepted" it tells the citizen nothing new; with a public
    comment ("the lamp is ordered, we come on Monday") it does.
    """
    if event.status == "in_progress":
        return bool(event.public_comment)
    return status_words(event, "de") is not None


# --- mails ----------------------------------------------------------------------------------


def _message_id(event_id: str, to: str) -> str:
    # The same event always yields the same Message-ID, so a resent mail is recognisable.
    return f"<{delivery_key(event_id, to, 'email')}@stadtmelder>"


def _citizen_mail(letter: Letter, event_id: str, report_id: str, to: str, links: MailLinks) -> Mail:
    """A mail to a reporter or supporter: with why they get it and how to stop or change it."""
    words = texts(FOOTER, letter.language)
    languages = tuple(
        Link(label, links.language(report_id, to, code), language=code)
        for code, label in LANGUAGE_CHOICES.items()
        if code != letter.language
    )
    unsubscribe = links.unsubscribe(report_id, to)
    footer: tuple[Block, ...] = (
        Paragraph(words["why"].format(report_id=report_id)),
        Links(words["choices"], (Link(words["unsubscribe"], unsubscribe), *languages)),
    )
    framed = Letter(
        letter.language, letter.subject, letter.greeting, letter.blocks, letter.signature, footer
    )
    return Mail(
        to=to,
        subject=framed.subject,
        text=as_text(framed),
        message_id=_message_id(event_id, to),
        html=as_html(framed),
        unsubscribe_url=unsubscribe,
    )


def _follow(report_id: str, language: str, links: MailLinks) -> Links:
    frame = texts(FRAME, language)
    label = frame["report"].format(report_id=report_id)
    return Links(frame["follow"], (Link(label, links.report(report_id, language)),))


def _letter(language: str, subject: str, blocks: tuple[Block, ...]) -> Letter:
    frame = texts(FRAME, language)
    return Letter(language, subject, frame["greeting"], blocks, frame["signature"])


def confirmation_mail(event: ReportSubmitted, to: str, language: str, links: MailLinks) -> Mail:
    """Right after submitting: the report's number and the reporter's private tracking link."""
    words = texts(CONFIRMATION, language)
    values = {"report_id": event.report_id, "category": event.category.name(language)}
    follow = (
        Links(
            words["tracking_intro"],
            (Link(words["tracking"], links.tracking(event.tracking_token, language)),),
        )
        if event.tracking_token
        else _follow(event.report_id, language, links)
    )
    blocks = (
        Paragraph(words["thanks"].format(**values)),
        Paragraph(words["number"].format(**values)),
        Paragraph(words["next"]),
        follow,
    )
    letter = _letter(language, words["subject"].format(**values), blocks)
    return _citizen_mail(letter, event.event_id, event.report_id, to, links)


def routed_mail(
    event: ReportRouted, to: str, language: str, links: MailLinks, zone: tzinfo
) -> Mail:
    words = texts(ROUTED, language)
    values = {"report_id": event.report_id, "category": event.category.name(language)}
    facts = [(words["department"], event.department.name)]
    if event.due_at is not None:
        facts.append((words["due"], local_date(event.due_at, language, zone)))
    blocks = (
        Paragraph(words["routed"].format(**values)),
        Facts(tuple(facts)),
        Paragraph(words["next"]),
        _follow(event.report_id, language, links),
    )
    letter = _letter(language, words["subject"].format(**values), blocks)
    return _citizen_mail(letter, event.event_id, event.report_id, to, links)


def supported_mail(event: ReportSupported, to: str, language: str, links: MailLinks) -> Mail:
    words = texts(SUPPORTED, language)
    values = {"report_id": event.report_id, "count": str(event.supporter_count)}
    blocks = (
        Paragraph(words["thanks"].format(**values)),
        Paragraph(words["count"].format(**values)),
        Paragraph(words["next"]),
        _follow(event.report_id, language, links),
    )
    letter = _letter(language, words["subject"].format(**values), blocks)
    return _citizen_mail(letter, event.event_id, event.report_id, to, links)


def status_mail(
    event: ReportStatusChanged, to: str, language: str, links: MailLinks
) -> Mail | None:
    """A public step with the department's public comment; "resolved" asks for feedback."""
    words = status_words(event, language)
    if words is None:
        return None
    subject, happened = words
    blocks: list[Block] = [Paragraph(happened)]
    # Only the public comment: a rejection's reason is written for staff, not for citizens.
    if event.public_comment:
        blocks.append(Quote(texts(FRAME, language)["message_from"], event.public_comment))
    if event.status == "resolved":
        blocks += _feedback_request(event.report_id, to, language, links)
    blocks.append(_follow(event.report_id, language, links))
    letter = _letter(language, subject, tuple(blocks))
    return _citizen_mail(letter, event.event_id, event.report_id, to, links)


def _feedback_request(report_id: str, to: str, language: str, links: MailLinks) -> list[Block]:
    words = texts(FEEDBACK, language)
    answers = tuple(
        Link(words[outcome], links.feedback(report_id, to, language, outcome))
        for outcome in ("fixed", "partly", "not_fixed")
    )
    return [
        Links(words["question"], answers),
        Paragraph(words["not_fixed_means"]),
        Links(words["form_intro"], (Link(words["form"], links.feedback(report_id, to, language)),)),
    ]


def overdue_mail(event: ReportOverdue, lead: str, staff_url: str) -> Mail:
    """For the department lead: internal, in German, the city's working language."""
    letter = Letter(
        "de",
        f"Überfällig: Meldung {event.report_id} ({event.department.name})",
        "Guten Tag,",
        (
            Paragraph(
                f"die Meldung {event.report_id} hätte bis {event.due_at:%d.%m.%Y %H:%M} UTC "
                "erledigt sein sollen und ist noch offen."
            ),
            Links("Zur Meldung:", (Link(f"Meldung {event.report_id} bearbeiten", staff_url),)),
        ),
        "Stadtmelder",
    )
    return Mail(
        to=lead,
        subject=letter.subject,
        text=as_text(letter),
        message_id=_message_id(event.event_id, lead),
        html=as_html(letter),
    )


def local_date(moment: datetime, language: str, zone: tzinfo) -> str:
    """A date as people write it: 27.11.2026, 27 November 2026, 27 Kasım 2026."""
    day = moment.astimezone(zone).date()
    months = MONTHS.get(language)
    if months is None:
        return f"{day:%d.%m.%Y}"
    return f"{day.day} {months[day.month - 1]} {day.year}"
