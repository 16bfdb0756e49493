"""The supporters' double opt-in without I/O: a supporter's state, the rules of confirming,
asking again and forgetting, and the errors of the confirmation link."""

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.errors import ReportsError
from stadtmelder_shared.citizen_events import ReportSupported, SupporterConfirmed
from stadtmelder_shared.event_values import Reporter
from stadtmelder_shared.sealing import Sealed
from stadtmelder_shared.supporters import ASK_AGAIN_AFTER, CONFIRM_SUPPORT_WITHIN


class SupportLinkExpired(ReportsError):
    """A confirmation link whose address is no longer kept: too late, or erased (404)."""

    def __init__(self) -> None:
        super().__init__(
            "This confirmation link has expired or is no longer valid. To be kept informed, "
            "support the report again: a new link will be sent."
        )


@dataclass(frozen=True)
class Supporter:
    """A supporter who gave an address, as the report keeps them. Supporters kept before the
    double opt-in have no `asked_at` and count as confirmed: they were told from the start."""

    recipient: str  # their recipient key, which the links in their mails carry
    contact: Reporter
    asked_at: datetime | None
    confirmed: bool


SupportStep = Literal["ask", "ask_again", "nothing"]


def is_expired(supporter: Supporter, now: datetime) -> bool:
    """An address not confirmed in time: its link no longer works, and it is to be forgotten."""
    return (
        not supporter.confirmed
        and supporter.asked_at is not None
        and now - supporter.asked_at > CONFIRM_SUPPORT_WITHIN
    )


def next_step(known: Supporter | None, now: datetime) -> SupportStep:
    """What supporting with an address does: a new supporter is counted and asked to confirm;
    an unconfirmed one who supports again is asked again, but not within `ASK_AGAIN_AFTER`
    of the last request; a confirmed one is told already."""
    if known is None:
        return "ask"
    if known.confirmed or known.asked_at is None:
        return "nothing"
    return "ask_again" if now - known.asked_at >= ASK_AGAIN_AFTER else "nothing"


def asked_again(report: Report, sealed: Sealed, now: datetime) -> ReportSupported:
    """The event repeating the confirmation request; the count stays as it is."""
    return ReportSupported(
        report_id=report.id,
        jurisdiction=report.jurisdiction,
        occurred_at=now,
        supporter=sealed,
        supporter_count=report.supporter_count,
        again=True,
    )


def confirmation(
    report: Report, known: Supporter | None, now: datetime
) -> SupporterConfirmed | None:
    """The event of confirming the address, None when it is confirmed already; a link whose
    address is gone, or came too late, is refused."""
    if known is None or is_expired(known, now):
        raise SupportLinkExpired()
    if known.confirmed:
        return None
    return SupporterConfirmed(
        event_id=str(uuid.uuid4()),
        occurred_at=now,
        report_id=report.id,
        jurisdiction=report.jurisdiction,
        recipient_key=known.recipient,
    )


def same_address(report: Report, contact: Reporter) -> bool:
    """The reporter supporting their own report with their address: they are told already."""
    mine = report.reporter.email if report.reporter else None
    return bool(mine and contact.email and mine.lower() == contact.email.lower())
