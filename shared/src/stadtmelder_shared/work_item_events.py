"""Events of a department's work queue: a work order queued, or its sending kept failing."""

from datetime import datetime
from typing import ClassVar

from pydantic import Field

from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import (
    Answer,
    CategoryRef,
    DepartmentRef,
    LabelledAnswers,
    Location,
    PlaygroundRef,
    Reopening,
    WorksRef,
)


class WorkItemSendFailed(Event):
    """A send method kept failing for a work item: operators and dispatchers must act."""

    type: ClassVar[str] = "org.stadtmelder.department.work-item-send-failed"

    department: DepartmentRef
    method: str
    attempts: int
    error: str


class WorkItemQueued(Event):
    """A report put into a department's work queue (`departments.<id>.work`)."""

    type: ClassVar[str] = "org.stadtmelder.department.work-item-queued"

    department: DepartmentRef
    category: CategoryRef
    description: str
    location: Location | None
    address: str | None = None
    answers: dict[str, Answer] = Field(default_factory=dict)
    submitted_at: datetime
    labelled_answers: LabelledAnswers = Field(default_factory=dict)
    photo_count: int = 0
    reopening: Reopening | None = Field(
        None, description="Set when this work order says that a resolved report was reopened."
    )
    works: list[WorksRef] = Field(
        default_factory=list, description="Current or planned works the place lies in."
    )
    playground: PlaygroundRef | None = Field(
        None, description="ReportSubmitted.playground: the playground the defect is at."
    )
