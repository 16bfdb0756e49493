"""The catalogue keys the mails choose at run time: a status step's texts, the feedback answers."""

from stadtmelder_notify.links import Outcome
from stadtmelder_notify.words import Words
from stadtmelder_shared.report_events import ReportStatusChanged
from stadtmelder_shared.translations import N_

# (subject, what happened) per public status; {report_id}, {department}, {duplicate_of}.
# What happened follows the greeting ("Guten Tag,"), so it starts lower case like a sentence
# after a comma; an app message on its own capitalises it.
STATUS_TEXTS: dict[str, tuple[str, str]] = {
    "acknowledged": (N_("status_acknowledged_subject"), N_("status_acknowledged_happened")),
    "in_progress": (N_("status_in_progress_subject"), N_("status_in_progress_happened")),
    "resolved": (N_("status_resolved_subject"), N_("status_resolved_happened")),
    "rejected": (N_("status_rejected_subject"), N_("status_rejected_happened")),
    "duplicate": (N_("status_duplicate_subject"), N_("status_duplicate_happened")),
    "forwarded": (N_("status_forwarded_subject"), N_("status_forwarded_happened")),
    "reopened": (N_("status_reopened_subject"), N_("status_reopened_happened")),
}

# When the citizen's own "not fixed" reopened the report, the mail says why.
REOPENED_AFTER_FEEDBACK = N_("status_reopened_after_feedback")

FEEDBACK_ANSWERS: dict[Outcome, str] = {
    "fixed": N_("feedback_fixed"),
    "partly": N_("feedback_partly"),
    "not_fixed": N_("feedback_not_fixed"),
}

# Each language offered in its own words ("E-Mails auf Deutsch"), so a reader finds theirs.
LANGUAGE_CHOICE = N_("footer_language")

MONTHS = (
    N_("month_1"),
    N_("month_2"),
    N_("month_3"),
    N_("month_4"),
    N_("month_5"),
    N_("month_6"),
    N_("month_7"),
    N_("month_8"),
    N_("month_9"),
    N_("month_10"),
    N_("month_11"),
    N_("month_12"),
)


def status_words(event: ReportStatusChanged, language: str) -> tuple[str, str] | None:
    """Subject and what happened, for a public step; None for steps citizens are not told."""
    keys = STATUS_TEXTS.get(event.status)
    if keys is None:
        return None
    subject, happened = keys
    if event.status == "reopened" and event.actor.role == "citizen":
        happened = REOPENED_AFTER_FEEDBACK
    t = Words(language)
    values = {
        "report_id": event.report_id,
        "department": (event.forwarded_to or event.department).name,
        "duplicate_of": event.duplicate_of or "",
    }
    return t(subject, **values), t(happened, **values)
