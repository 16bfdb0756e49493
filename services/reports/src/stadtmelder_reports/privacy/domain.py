"""What is held about a reporter and who used it (GDPR Art. 15): objects and rules, no I/O."""

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from stadtmelder_reports.core.domain import Notice, Report
from stadtmelder_reports.retention.domain import Periods
from stadtmelder_reports.staff.repository import AuditEntry
from stadtmelder_shared.departments import Directory
from stadtmelder_shared.event_envelope import derived_event_id
from stadtmelder_shared.event_values import Reporter

# Channels that reach only the reporter: the app that filed the report and the browsers
# subscribed with the private tracking link. Mail also goes to supporters (see `to_reporter`).
REPORTER_ONLY_CHANNELS = frozenset({"webhook", "web_push"})


@dataclass(frozen=True)
class StaffRead:
    """One look of a staff member at the reporter's contact data, as the audit recorded it."""

    at: datetime
    role: str
    department_id: str | None
    department_name: str | None
    fields: tuple[str, ...]


@dataclass(frozen=True)
class DataHeld:
    """Everything stored about the reporter of one report, for the reporter's eyes only."""

    report: Report
    contact: Reporter | None
    messages: tuple[Notice, ...]
    staff_reads: tuple[StaffRead, ...]
    retention: Periods

    def masked_contact(self) -> Reporter | None:
        """The contact data as a page shows it: enough to recognise, not to copy. A tracking
        page is opened on phones in public and shared as a screenshot; the full data is in
        the JSON answer behind the same link."""
        if self.contact is None:
            return None
        return Reporter(
            email=masked_email(self.contact.email) if self.contact.email else None,
            name=masked_name(self.contact.name) if self.contact.name else None,
            phone=masked_phone(self.contact.phone) if self.contact.phone else None,
            language=self.contact.language,
        )


HIDDEN = "•••"


def masked_email(email: str) -> str:
    """`anna@example.org` becomes `an•••@example.org`."""
    local, _, domain = email.partition("@")
    return f"{local[:2]}{HIDDEN}@{domain}"


def masked_name(name: str) -> str:
    """`Anna Beispiel` becomes `A••• B•••`."""
    return " ".join(f"{word[0]}{HIDDEN}" for word in name.split())


def masked_phone(phone: str) -> str:
    """Only the last two digits: `0203 123456` becomes `•••56`."""
    digits = [c for c in phone if c.isdigit()]
    return f"{HIDDEN}{''.join(digits[-2:])}"


def _delivery_key(cause_event_id: str, address: str, channel: str) -> str:
    # notify's `delivery.domain.delivery_key`: the contract test in tests/unit/test_privacy.py
    # keeps the two equal. notify announces a mail without naming its recipient, so the
    # reporter's own mails are told apart from supporters' by recomputing their ids.
    digest = hashlib.sha256(f"{cause_event_id}|{address.lower()}|{channel}".encode()).hexdigest()
    return digest[:40]


def mail_id_for(cause_event_id: str, email: str) -> str:
    """The id of notify's CitizenNotified for the mail about `cause_event_id` to `email`."""
    return derived_event_id(
        cause_event_id, f"notified:{_delivery_key(cause_event_id, email, 'email')}"
    )


def to_reporter(report: Report) -> tuple[Notice, ...]:
    """The notices of messages that reached the reporter, oldest first.

    Mails are recognised by their ids, derived from the reporter's address and the step that
    caused them (each step of the history); without an address left, no mail is theirs.
    """
    email = report.reporter.email if report.reporter else None
    mine = {mail_id_for(change.event_id, email) for change in report.history} if email else set()
    found = [
        notice
        for notice in report.notices
        if notice.channel in REPORTER_ONLY_CHANNELS or notice.id in mine
    ]
    return tuple(sorted(found, key=lambda notice: notice.at))


def staff_reads(entries: Iterable[AuditEntry], directory: Directory) -> tuple[StaffRead, ...]:
    """The audit's reads of contact data, oldest first, with each department's name."""
    reads = []
    for entry in entries:
        if entry.action != "contact_read":
            continue
        department_id = entry.actor.department_id
        department = directory.get(department_id) if department_id else None
        named = entry.details.get("fields") or ""
        reads.append(
            StaffRead(
                at=entry.at,
                role=entry.actor.role,
                department_id=department_id,
                department_name=department.name() if department else None,
                fields=tuple(field for field in named.split(",") if field),
            )
        )
    return tuple(sorted(reads, key=lambda read: read.at))
