"""What we tell citizens and how: mails in their language, and the rules of when to send them."""

from datetime import datetime, tzinfo

from stadtmelder_notify.core.status_texts import (
    FEEDBACK_ANSWERS,
    LANGUAGE_CHOICE,
    MONTHS,
    status_words,
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
    as_mail,
)
from stadtmelder_notify.links import MailLinks
from stadtmelder_notify.words import LANGUAGES, Words
from stadtmelder_shared.citizen_events import ReportSupported
from stadtmelder_shared.report_events import (
    ReportOverdue,
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
)
from stadtmelder_shared.supporters import CONFIRM_SUPPORT_WITHIN

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


def _citizen_mail(letter: Letter, event_id: str, report_id: str, to: str, links: MailLinks) -> Mail:
    """A mail to a reporter or supporter: with why they get it and how to stop or change it."""
    t = Words(letter.language)
    languages = tuple(
        Link(Words(code)(LANGUAGE_CHOICE), links.language(report_id, to, code), language=code)
        for code in LANGUAGES
        if code != letter.language
    )
    unsubscribe = links.unsubscribe(report_id, to, letter.language)
    footer: tuple[Block, ...] = (
        Paragraph(t("footer_why").format(report_id=report_id)),
        Links(
            t("footer_choices"),
            (
                Link(t("footer_unsubscribe"), unsubscribe),
                *languages,
                Link(t("footer_erase"), links.erasure(report_id, to, letter.language)),
            ),
        ),
    )
    framed = Letter(
        letter.language, letter.subject, letter.greeting, letter.blocks, letter.signature, footer
    )
    return as_mail(framed, to, delivery_key(event_id, to, "email"), unsubscribe)


def _follow(report_id: str, language: str, links: MailLinks) -> Links:
    t = Words(language)
    label = t("frame_report").format(report_id=report_id)
    return Links(t("frame_follow"), (Link(label, links.report(report_id, language)),))


def _letter(language: str, subject: str, blocks: tuple[Block, ...]) -> Letter:
    t = Words(language)
    return Letter(language, subject, t("frame_greeting"), blocks, t("frame_signature"))


def confirmation_mail(
    event: ReportSubmitted,
    to: str,
    language: str,
    links: MailLinks,
    tracking_token: str | None = None,
) -> Mail:
    """Right after submitting: the report's number and the reporter's private tracking link
    (`tracking_token`, opened from the event's sealed one)."""
    t = Words(language)
    values = {"report_id": event.report_id, "category": event.category.name(language)}
    follow = (
        Links(
            t("confirmation_tracking_intro"),
            (Link(t("confirmation_tracking"), links.tracking(tracking_token, language)),),
        )
        if tracking_token
        else _follow(event.report_id, language, links)
    )
    blocks = (
        Paragraph(t("confirmation_thanks").format(**values)),
        Paragraph(t("confirmation_number").format(**values)),
        Paragraph(t("confirmation_next")),
        follow,
    )
    letter = _letter(language, t("confirmation_subject").format(**values), blocks)
    return _citizen_mail(letter, event.event_id, event.report_id, to, links)


def routed_mail(
    event: ReportRouted, to: str, language: str, links: MailLinks, zone: tzinfo
) -> Mail:
    t = Words(language)
    values = {"report_id": event.report_id, "category": event.category.name(language)}
    facts = [(t("routed_department"), event.department.name)]
    if event.due_at is not None:
        facts.append((t("routed_due"), local_date(event.due_at, language, zone)))
    blocks = (
        Paragraph(t("routed_routed").format(**values)),
        Facts(tuple(facts)),
        Paragraph(t("routed_next")),
        _follow(event.report_id, language, links),
    )
    letter = _letter(language, t("routed_subject").format(**values), blocks)
    return _citizen_mail(letter, event.event_id, event.report_id, to, links)


def supported_mail(event: ReportSupported, to: str, language: str, links: MailLinks) -> Mail:
    """The one mail an unconfirmed supporter's address gets: the request to confirm it (double
    opt-in). Whoever typed someone else's address sends that person nothing more than this."""
    t = Words(language)
    values = {"report_id": event.report_id, "days": CONFIRM_SUPPORT_WITHIN.days}
    confirm = links.support_confirmation(event.report_id, to, language)
    blocks = (
        Paragraph(t("support_confirm_wish").format(**values)),
        Paragraph(t.plural("supported_count", event.supporter_count)),
        Links(t("support_confirm_action"), (Link(t("support_confirm_button"), confirm),)),
        Paragraph(t("support_confirm_ignore").format(**values)),
        _follow(event.report_id, language, links),
    )
    letter = _letter(language, t("support_confirm_subject").format(**values), blocks)
    return _citizen_mail(letter, event.event_id, event.report_id, to, links)


def status_mail(
    event: ReportStatusChanged, to: str, language: str, links: MailLinks
) -> Mail | None:
    """A public step with the department's public comment; "resolved" asks for feedback."""
    found = status_words(event, language)
    if found is None:
        return None
    subject, happened = found
    blocks: list[Block] = [Paragraph(happened)]
    # Only the public comment: a rejection's reason is written for staff, not for citizens.
    if event.public_comment:
        t = Words(language)
        blocks.append(Quote(t("frame_message_from"), event.public_comment))
    if event.status == "resolved":
        blocks += _feedback_request(event.report_id, to, language, links)
    blocks.append(_follow(event.report_id, language, links))
    letter = _letter(language, subject, tuple(blocks))
    return _citizen_mail(letter, event.event_id, event.report_id, to, links)


def _feedback_request(report_id: str, to: str, language: str, links: MailLinks) -> list[Block]:
    t = Words(language)
    answers = tuple(
        Link(t(label), links.feedback(report_id, to, language, outcome))
        for outcome, label in FEEDBACK_ANSWERS.items()
    )
    return [
        Links(t("feedback_question"), answers),
        Paragraph(t("feedback_not_fixed_means")),
        Links(
            t("feedback_form_intro"),
            (Link(t("feedback_form"), links.feedback(report_id, to, language)),),
        ),
    ]


def overdue_mail(event: ReportOverdue, lead: str, staff_url: str, language: str = "de") -> Mail:
    """For the department lead: internal, so German, the city's working language, by default."""
    t = Words(language)
    report_id = event.report_id
    letter = Letter(
        t.language,
        t("overdue_subject", report_id=report_id, department=event.department.name),
        t("frame_greeting"),
        (
            Paragraph(t("overdue_text", report_id=report_id, due_at=event.due_at)),
            Links(
                t("overdue_link_intro"),
                (Link(t("overdue_link", report_id=report_id), staff_url),),
            ),
        ),
        t("overdue_signature"),
    )
    return as_mail(letter, lead, delivery_key(event.event_id, lead, "email"))


def local_date(moment: datetime, language: str, zone: tzinfo) -> str:
    """A date as people write it: 27.11.2026, 27 November 2026, 27 Kasım 2026."""
    day = moment.astimezone(zone).date()
    t = Words(language)
    return t("local_date", date=day, month=t(MONTHS[day.month - 1]))
