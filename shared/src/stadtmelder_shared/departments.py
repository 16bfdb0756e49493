"""The departments of a jurisdiction: names, mailboxes, how work reaches them, their SLAs."""

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Literal, cast, get_args

from stadtmelder_shared.event_values import DepartmentRef, Language

DEFAULT_FILE = Path(__file__).parent / "jurisdictions" / "duisburg" / "departments.json"
SendKind = Literal["kafka", "webhook", "email", "open311"]


@dataclass(frozen=True)
class SendMethod:
    """One way a work item reaches the department; secrets are named, never stored here."""

    kind: SendKind
    url: str | None = None
    mailbox: str | None = None
    secret_env: str | None = None
    service_code: str | None = None


@dataclass(frozen=True)
class Department:
    id: str
    names: Mapping[str, str]
    contact_email: str | None = None
    lead_email: str | None = None
    send_methods: tuple[SendMethod, ...] = (SendMethod("kafka"),)
    # Hours to resolve by category code; "*" is the department's default.
    sla_hours: Mapping[str, float] = field(default_factory=lambda: {"*": 72.0})
    triage: bool = False
    # The language its mails are written in; Duisburg's departments read German.
    language: Language = "de"

    def name(self, language: str = "de") -> str:
        return self.names.get(language) or self.names.get("de") or self.id

    def ref(self) -> DepartmentRef:
        return DepartmentRef(id=self.id, name=self.name())

    def due_at(self, category: str, since: datetime) -> datetime:
        hours = self.sla_hours.get(category, self.sla_hours.get("*", 72.0))
        return since + timedelta(hours=hours)


@dataclass(frozen=True)
class Directory:
    departments: tuple[Department, ...]

    def get(self, department_id: str) -> Department | None:
        return next((d for d in self.departments if d.id == department_id), None)

    @property
    def triage(self) -> Department:
        return next(d for d in self.departments if d.triage)


def load_directory(path: Path | None = None) -> Directory:
    data = json.loads((path or DEFAULT_FILE).read_text(encoding="utf-8"))
    return Directory(tuple(_department(d) for d in data["departments"]))


def _department(data: Mapping[str, Any]) -> Department:
    return Department(
        id=data["id"],
        names=data["names"],
        contact_email=data.get("contact_email"),
        lead_email=data.get("lead_email"),
        send_methods=tuple(SendMethod(**m) for m in data.get("send_methods", [{"kind": "kafka"}])),
        sla_hours=data.get("sla_hours", {"*": 72.0}),
        triage=bool(data.get("triage", False)),
        language=_language(data),
    )


def _language(data: Mapping[str, Any]) -> Language:
    language = data.get("language", "de")
    if language not in get_args(Language):
        raise ValueError(f"department {data['id']}: language {language!r} is not de, en or tr")
    return cast("Language", language)
