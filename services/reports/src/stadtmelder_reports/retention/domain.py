"""The rules of retention: when a report counts as closed, and what of it is due to go when."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from stadtmelder_reports.core.domain import Report

# The end of the department's work. Rejected and duplicate reports end as surely as resolved
# ones: nobody works them any more, and the contact data was only needed for that work. A
# resolved report may be reopened (by staff or the citizen's "not fixed"); then it is open
# again and nothing of it is due until it closes anew.
CLOSED_STATUSES = frozenset({"resolved", "rejected", "duplicate"})


@dataclass(frozen=True)
class Periods:
    """How long after closing contact data and photos are kept, and how long a staff read of
    contact data stays in the audit trail after it happened."""

    contact: timedelta
    photos: timedelta
    audit: timedelta

    @classmethod
    def of_days(cls, contact: int, photos: int, audit: int) -> "Periods":
        return cls(timedelta(days=contact), timedelta(days=photos), timedelta(days=audit))


def closed_at(report: Report) -> datetime | None:
    """When the report reached the final status it has now (its last step: comments are no
    steps); None while it is open."""
    if report.status not in CLOSED_STATUSES:
        return None
    return report.updated_at


def closed_longer_than(report: Report, period: timedelta, now: datetime) -> bool:
    closed = closed_at(report)
    return closed is not None and closed + period <= now


def contact_due(report: Report, has_supporters: bool, periods: Periods, now: datetime) -> bool:
    """The reporter's and supporters' contact data goes `periods.contact` after closing."""
    holds_contact = report.reporter is not None or has_supporters
    return holds_contact and closed_longer_than(report, periods.contact, now)


def photos_due(report: Report, periods: Periods, now: datetime) -> bool:
    """Photos (with their thumbnails) go `periods.photos` after closing; the text stays."""
    return bool(report.photos) and closed_longer_than(report, periods.photos, now)


def audit_kept_since(periods: Periods, now: datetime) -> datetime:
    """Staff reads of contact data older than this are due to go."""
    return now - periods.audit


def closed_before(period: timedelta, now: datetime) -> datetime:
    """Reports that closed before this have been closed longer than `period`."""
    return now - period
