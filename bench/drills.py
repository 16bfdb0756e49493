"""The accounting of a fault drill: which accepted reports got lost on the way, which doubled."""

from collections import Counter
from collections.abc import Mapping, Set
from dataclasses import dataclass, field

from stadtmelder_notify.words import Words

# The drills submit in English, so each mail is recognised by its subject.
MAIL_SUBJECTS = {
    "confirmation": Words("en")("confirmation_subject"),
    "routed": Words("en")("routed_subject"),
}


def mail_kind(subject: str, report_id: str) -> str | None:
    """Which of the reporter's expected mails this subject is, if any."""
    for kind, template in MAIL_SUBJECTS.items():
        if subject == template.format(report_id=report_id):
            return kind
    return None


@dataclass(frozen=True)
class Observed:
    """What the drill saw: every 201 answer and where its report turned up afterwards."""

    accepted: Mapping[str, str]  # report id -> the reporter's address
    refused: int  # answers other than 201, and requests that got no answer at all
    stored: Set[str]
    routed: Set[str]
    work_items: Counter[str]  # report id -> records on a department's work topic
    mails: Mapping[str, Counter[str]]  # report id -> mail kind -> mails received


@dataclass(frozen=True)
class Tally:
    """One line of the drill table."""

    drill: str
    accepted: int
    refused: int
    stored: int
    routed: int
    delivered: int
    mailed: int
    lost: tuple[str, ...] = field(default=())
    duplicated: tuple[str, ...] = field(default=())

    @property
    def passed(self) -> bool:
        return not self.lost and not self.duplicated


def tally(drill: str, observed: Observed) -> Tally:
    """Lost: accepted but missing at any stage. Duplicated: twice on a work topic, or a mail
    of one kind twice to the same reporter."""
    accepted = set(observed.accepted)
    stored = accepted & observed.stored
    routed = accepted & observed.routed
    delivered = {r for r in accepted if observed.work_items.get(r, 0) > 0}
    mails = {r: observed.mails.get(r, Counter()) for r in accepted}
    mailed = {r for r in accepted if all(mails[r][kind] > 0 for kind in MAIL_SUBJECTS)}
    complete = stored & routed & delivered & mailed
    doubled = {r for r in accepted if observed.work_items.get(r, 0) > 1}
    doubled |= {r for r in accepted if any(count > 1 for count in mails[r].values())}
    return Tally(
        drill=drill,
        accepted=len(accepted),
        refused=observed.refused,
        stored=len(stored),
        routed=len(routed),
        delivered=len(delivered),
        mailed=len(mailed),
        lost=tuple(sorted(accepted - complete)),
        duplicated=tuple(sorted(doubled)),
    )
