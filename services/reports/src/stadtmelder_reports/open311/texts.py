"""The sentences Open311 clients show to people, from the web pages' catalogues in locale/."""

from typing import get_args

from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.translations import N_

STATUS_NOTES = {
    "submitted": N_("open311_status_submitted"),
    "routed": N_("open311_status_routed"),
    "acknowledged": N_("open311_status_acknowledged"),
    "in_progress": N_("open311_status_in_progress"),
    "reopened": N_("open311_status_reopened"),
    "resolved": N_("open311_status_resolved"),
    "rejected": N_("open311_status_rejected"),
    "duplicate": N_("open311_status_duplicate"),
}


def words_for(language: str) -> Words:
    """Open311 clients may ask for any language; those we do not speak get German."""
    for known in get_args(LanguageCode):
        if language == known:
            return Words(known)
    return Words("de")


def status_note(status: str, language: str, department: str | None = None) -> str:
    """What a status means, for `status_notes` and the updates feed."""
    t = words_for(language)
    if status == "routed" and department:
        return t("open311_routed_to", department=department)
    if status in STATUS_NOTES:
        return t(STATUS_NOTES[status])
    return t("open311_unknown_status", status=status.replace("_", " "))


def service_notice(language: str, media_url_ignored: bool) -> str:
    """The notice of a new request, and why a `media_url` was not fetched when one was sent."""
    t = words_for(language)
    notice = t("open311_service_notice")
    if media_url_ignored:
        return notice + " " + t("open311_media_url_ignored")
    return notice
