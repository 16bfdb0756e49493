"""How reports are laid out in MongoDB: conversion between domain objects and documents.

Only the repository uses this module; Mongo documents never leave the two of them.
"""

from dataclasses import fields
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel

from stadtmelder_reports.core.domain import (
    Comment,
    Feedback,
    Notice,
    PhotoRef,
    Report,
    StatusChange,
)
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_types import EVENT_TYPES
from stadtmelder_shared.event_values import (
    Actor,
    CategoryRef,
    DepartmentRef,
    Location,
    PlaygroundRef,
    Reporter,
    WorksRef,
)
from stadtmelder_shared.report_events import ReportModerated
from stadtmelder_shared.tracing import current_traceparent

Document = dict[str, Any]
# Queues sort by due date; a report without one sorts after every real date, not before.
NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)


def due_sort(due_at: datetime | None) -> datetime:
    return due_at if due_at is not None else NO_DUE_DATE


# The entries a report keeps lists of, each stored field by field under its own name.
Entry = StatusChange | Comment | Feedback | Notice


def entry_document(entry: Entry) -> Document:
    """An entry as stored: its fields by name, a pydantic value (department, actor) as a dict."""
    return {field.name: _dumped(getattr(entry, field.name)) for field in fields(entry)}


def _dumped(value: Any) -> Any:
    return value.model_dump() if isinstance(value, BaseModel) else value


def change_from(document: Document) -> StatusChange:
    department = document.get("department")
    actor = document.get("actor")
    return StatusChange(
        document["status"],
        document["at"],
        document["event_id"],
        department=DepartmentRef.model_validate(department) if department else None,
        public_comment=document.get("public_comment"),
        reason=document.get("reason"),
        duplicate_of=document.get("duplicate_of"),
        actor=Actor.model_validate(actor) if actor else None,
    )


def comment_from(document: Document) -> Comment:
    return Comment(
        id=document["id"],
        visibility=document["visibility"],
        text=document["text"],
        at=document["at"],
        actor=Actor.model_validate(document["actor"]),
    )


def feedback_from(document: Document) -> Feedback:
    return Feedback(document["id"], document["outcome"], document.get("rating"), document["at"])


def notice_from(document: Document) -> Notice:
    return Notice(document["id"], document["step"], document["channel"], document["at"])


def outbox_entry(topic: str, event: Event) -> Document:
    entry: Document = {"topic": topic, "type": event.type, "event": event.model_dump(mode="json")}
    # The trace of the request or record that caused the event; its relay continues it.
    if traceparent := current_traceparent():
        entry["traceparent"] = traceparent
    return entry


def to_document(report: Report) -> Document:
    outbox = [outbox_entry(topic, event) for topic, event in report.pending_events]
    return {
        "_id": report.id,
        "jurisdiction": report.jurisdiction,
        "category": report.category.model_dump(),
        "description": report.description,
        "location": _dumped(report.location),
        "address": report.address,
        "playground": _dumped(report.playground),
        "answers": report.answers,
        "language": report.language,
        "reporter": _dumped(report.reporter),
        "client_id": report.client_id,
        "tracking_token_hash": report.tracking_token_hash,
        "created_at": report.created_at,
        "updated_at": report.created_at,
        "status": report.status,
        "department": _dumped(report.department),
        "assignee": report.assignee,
        "due_at": report.due_at,
        "due_sort": due_sort(report.due_at),
        "history": [entry_document(change) for change in report.history],
        "applied_events": [change.event_id for change in report.history],
        "comments": [entry_document(comment) for comment in report.comments],
        "feedback": [entry_document(feedback) for feedback in report.feedback],
        "notices": [entry_document(notice) for notice in report.notices],
        "moderation": [m.model_dump() for m in report.moderation],
        "works": [works.model_dump(mode="json") for works in report.works],
        "hidden": report.hidden,
        "photos": [
            {"number": p.number, "media_type": p.media_type, "width": p.width, "height": p.height}
            for p in report.photos
        ],
        "supporter_count": report.supporter_count,
        "contact_erased_at": report.contact_erased_at,
        "supporter_keys": [],
        "supporters": [],
        "outbox": outbox,
        "outbox_pending": len(outbox),
        "revision": 1,
    }


def from_document(document: Document) -> Report:
    return Report(
        id=document["_id"],
        jurisdiction=document["jurisdiction"],
        category=CategoryRef.model_validate(document["category"]),
        description=document["description"],
        location=Location.model_validate(document["location"]) if document["location"] else None,
        address=document.get("address"),
        playground=(
            PlaygroundRef.model_validate(document["playground"])
            if document.get("playground")
            else None
        ),
        answers=document.get("answers") or {},
        language=document["language"],
        reporter=Reporter.model_validate(document["reporter"]) if document["reporter"] else None,
        client_id=document.get("client_id"),
        tracking_token_hash=document.get("tracking_token_hash", ""),
        created_at=document["created_at"],
        status=document["status"],
        department=(
            DepartmentRef.model_validate(document["department"]) if document["department"] else None
        ),
        assignee=document.get("assignee"),
        due_at=document.get("due_at"),
        history=[change_from(change) for change in document["history"]],
        comments=[comment_from(comment) for comment in document.get("comments", [])],
        feedback=[feedback_from(feedback) for feedback in document.get("feedback", [])],
        notices=[notice_from(notice) for notice in document.get("notices", [])],
        moderation=[ReportModerated.model_validate(m) for m in document.get("moderation", [])],
        works=[WorksRef.model_validate(works) for works in document.get("works", [])],
        photos=[
            PhotoRef(p["number"], p["media_type"], p["width"], p["height"])
            for p in document.get("photos", [])
        ],
        supporter_count=document.get("supporter_count", 0),
        contact_erased_at=document.get("contact_erased_at"),
        pending_events=[
            (entry["topic"], event_from(entry)) for entry in document.get("outbox", [])
        ],
        trace_contexts={
            entry["event"]["event_id"]: entry["traceparent"]
            for entry in document.get("outbox", [])
            if "traceparent" in entry
        },
        revision=document.get("revision", 1),
    )


def event_from(entry: Document) -> Event:
    return EVENT_TYPES[entry["type"]].model_validate(entry["event"])
