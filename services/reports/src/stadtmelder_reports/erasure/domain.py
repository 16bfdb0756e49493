"""The rules of erasure on request: whose contact data goes, what stays, and what is announced."""

from dataclasses import dataclass
from datetime import datetime

from stadtmelder_reports.core.domain import Report
from stadtmelder_shared.citizen_events import ContactDataErased
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.link_tokens import RecipientKeys


@dataclass(frozen=True)
class Erasure:
    """One erasure, stored in one write with the event that tells notify and routing."""

    erased_at: datetime
    event: ContactDataErased


def erase_reporter(report: Report, now: datetime, keys: RecipientKeys) -> Erasure:
    """The reporter's erasure. The public report stays as it is: it never showed contact data."""
    email = report.reporter.email if report.reporter else None
    event = ContactDataErased(
        # One erasure per reporter: a retried request announces the same event, not a second.
        event_id=derived_event_id(report.id, "reporter-contact-erased"),
        occurred_at=now,
        report_id=report.id,
        jurisdiction=report.jurisdiction,
        subject="reporter",
        recipient_key=keys.of(report.id, email) if email else None,
    )
    return Erasure(now, event)


def erase_supporter(report: Report, supporter: str, now: datetime) -> Erasure:
    """A supporter's erasure, `supporter` being the recipient key from their mail's link."""
    event = ContactDataErased(
        event_id=derived_event_id(f"{report.id}|{supporter}", "supporter-contact-erased"),
        occurred_at=now,
        report_id=report.id,
        jurisdiction=report.jurisdiction,
        subject="supporter",
        recipient_key=supporter,
    )
    return Erasure(now, event)


def erase_alert_subscriber(subscription_id: str, jurisdiction: str, now: datetime) -> Erasure:
    """An alert subscriber's erasure; the event's `report_id` names the subscription."""
    event = ContactDataErased(
        event_id=derived_event_id(subscription_id, "alert-subscriber-contact-erased"),
        occurred_at=now,
        report_id=subscription_id,
        jurisdiction=jurisdiction,
        subject="alert_subscriber",
    )
    return Erasure(now, event)
