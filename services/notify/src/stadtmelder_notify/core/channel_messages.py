"""What apps and browsers are told at each step: a short JSON message in the recipient's
language, with a title and a sentence to show and the data an app may want to use.

Apps get it through their webhook, browsers as an encrypted Web Push message, whose payload
must stay under 4 kB: long comments are shortened, and browsers get the answer form's link
rather than one link per answer.
"""

import json
from datetime import tzinfo
from typing import Any

from stadtmelder_notify.core.domain import local_date
from stadtmelder_notify.core.status_texts import FEEDBACK_ANSWERS, status_words
from stadtmelder_notify.delivery.domain import MESSAGE_TYPE
from stadtmelder_notify.links import OUTCOMES, MailLinks
from stadtmelder_notify.words import Words
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.report_events import ReportRouted, ReportStatusChanged, ReportSubmitted

COMMENT_LIMIT = 1000
PUSH_COMMENT_LIMIT = 300


def tells_about(event: Event) -> bool:
    """Whether apps and browsers hear about this event at all."""
    if isinstance(event, ReportSubmitted | ReportRouted):
        return True
    return isinstance(event, ReportStatusChanged) and status_words(event, "de") is not None


def notification(
    event: Event,
    step: str,
    notification_id: str,
    address: str,
    language: str,
    links: MailLinks,
    zone: tzinfo,
    for_push: bool = False,
) -> str | None:
    """The message about `event` as JSON text; None for an event apps and browsers skip.

    `address` stands for the recipient in signed links (e.g. `app:<client id>`), so their
    answer to "is it fixed?" counts once per recipient, like a mail's.
    """
    about = _about(event, language, links, zone)
    if about is None:
        return None
    title, text, details = about
    message: dict[str, Any] = {
        "id": notification_id,
        "type": MESSAGE_TYPE,
        "step": step,
        "report_id": event.report_id,
        "occurred_at": event.occurred_at.isoformat(),
        "language": language,
        "title": title,
        "text": text,
        "url": links.report(event.report_id, language),
        **details,
    }
    if isinstance(event, ReportStatusChanged) and event.public_comment:
        limit = PUSH_COMMENT_LIMIT if for_push else COMMENT_LIMIT
        message["public_comment"] = _shortened(event.public_comment, limit)
    if isinstance(event, ReportStatusChanged) and event.status == "resolved":
        message["feedback"] = _feedback(event.report_id, address, language, links, for_push)
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"))


def _about(
    event: Event, language: str, links: MailLinks, zone: tzinfo
) -> tuple[str, str, dict[str, Any]] | None:
    """Title, sentence and details of a step."""
    if isinstance(event, ReportSubmitted):
        t = Words(language)
        values = {"report_id": event.report_id, "category": event.category.name(language)}
        return (
            t("confirmation_subject").format(**values),
            _sentence(t("confirmation_thanks").format(**values)),
            {"category": event.category.code},
        )
    if isinstance(event, ReportRouted):
        t = Words(language)
        values = {"report_id": event.report_id, "category": event.category.name(language)}
        details: dict[str, Any] = {
            "category": event.category.code,
            "department": {"id": event.department.id, "name": event.department.name},
        }
        text = t("routed_routed").format(**values)
        text += f" {t('routed_department')} {event.department.name}."
        if event.due_at is not None:
            details["due_at"] = event.due_at.isoformat()
            text += f" {t('routed_due')} {local_date(event.due_at, language, zone)}."
        return t("routed_subject").format(**values), text, details
    if isinstance(event, ReportStatusChanged):
        found = status_words(event, language)
        if found is None:
            return None
        department = event.forwarded_to or event.department
        status_details: dict[str, Any] = {
            "status": event.status,
            "department": {"id": department.id, "name": department.name},
        }
        if event.duplicate_of:
            status_details["duplicate_of"] = event.duplicate_of
        return found[0], _sentence(found[1]), status_details
    return None


def _feedback(
    report_id: str, address: str, language: str, links: MailLinks, for_push: bool
) -> dict[str, Any]:
    t = Words(language)
    asked: dict[str, Any] = {
        "question": t("feedback_question").rstrip(":"),
        "form_url": links.feedback(report_id, address, language),
    }
    if not for_push:
        asked["answers"] = {
            outcome: {
                "label": t(FEEDBACK_ANSWERS[outcome]),
                "url": links.feedback(report_id, address, language, outcome),
            }
            for outcome in OUTCOMES
        }
    return asked


def _sentence(text: str) -> str:
    """Mail sentences follow the greeting ("vielen Dank …"); alone they start upper case."""
    return text[:1].upper() + text[1:]


def _shortened(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
