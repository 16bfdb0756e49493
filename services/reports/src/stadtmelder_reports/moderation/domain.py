"""Moderation's rules: who may change what the public sees of a report, and what each step
stores and announces. Pure functions; the service reads, decides with these, and writes."""

from dataclasses import replace
from typing import Any

from stadtmelder_reports.commands.domain import Moderation
from stadtmelder_reports.core.domain import DESCRIPTION_MAX_LENGTH, Report, WorkStep
from stadtmelder_reports.errors import InvalidWorkRequest
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_shared import topics
from stadtmelder_shared.report_events import ReportModerated

REASON_MAX_LENGTH = 1000


def may_moderate(member: StaffMember) -> bool:
    """Dispatchers and admins: the city's central desk decides what the public sees, never the
    department a report complains about, so a clerk cannot hide criticism of their own work."""
    return member.has("admin", "dispatcher")


def moderation_step(report: Report, step: ReportModerated) -> WorkStep:
    """The report after `step`, which is stored as it is announced; InvalidWorkRequest when it
    does not fit the report (no reason, hiding a hidden one, a photo it does not show, ...)."""
    if not step.reason.strip():
        raise InvalidWorkRequest("reason", "Say why: the reporter is shown the reason.")
    if step.action == "redacted":
        _check_text(step.public_description)
    if step.action == "photo_removed":
        _check_photo(report, step.photo)
    if step.action == "hidden" and report.hidden:
        raise InvalidWorkRequest("action", "The report is hidden already.")
    if step.action == "shown" and not report.hidden:
        raise InvalidWorkRequest("action", "The report is public already.")
    hidden = {"hidden": True, "shown": False}.get(step.action)
    return replace(
        WorkStep.keeping(report),
        moderation=(step,),
        hidden=hidden,
        events=((topics.REPORTS_MODERATED, step),),
    )


def requested(asked: Moderation) -> dict[str, Any]:
    """The fields of a ReportModerated a staff member asks for, trimmed; only the fields the
    action uses are kept, so a stray `text` never becomes the public description."""
    action = asked.action
    return {
        "action": action,
        "reason": asked.reason.strip(),
        "public_description": (asked.text or "").strip() if action == "redacted" else None,
        "photo": asked.photo if action == "photo_removed" else None,
    }


def _check_text(text: str | None) -> None:
    if not text:
        raise InvalidWorkRequest("text", "Give the description the public sees instead.")
    if len(text) > DESCRIPTION_MAX_LENGTH:
        raise InvalidWorkRequest("text", f"At most {DESCRIPTION_MAX_LENGTH} characters.")


def _check_photo(report: Report, photo: int | None) -> None:
    shown = {p.number for p in report.photos} - report.removed_photos
    if photo not in shown:
        numbers = ", ".join(str(n) for n in sorted(shown)) or "none"
        raise InvalidWorkRequest("photo", f"The report shows no photo {photo}; shown: {numbers}.")
