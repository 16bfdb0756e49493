"""What department systems send on `departments.<id>.updates`: transitions of their reports."""

import re

from pydantic import BaseModel, ConfigDict, Field

from stadtmelder_reports.staff.schemas import transition_request
from stadtmelder_reports.staff.workflow import REASON_MAX_LENGTH, TransitionRequest
from stadtmelder_shared import topics


class DepartmentUpdate(BaseModel):
    """The staff API's transition plus the sender's `event_id`, which makes redelivery safe."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    event_id: str = Field(min_length=1, max_length=200)
    report_id: str = Field(min_length=1, max_length=40)
    to: str
    public_comment: str | None = Field(None, max_length=REASON_MAX_LENGTH)
    reason: str | None = Field(None, max_length=REASON_MAX_LENGTH)
    duplicate_of: str | None = None
    forward_to: str | None = None

    def request(self) -> TransitionRequest:
        return transition_request(self)


def department_of(topic: str) -> str | None:
    """The sending department, or None for a topic that is not an updates topic.

    Kafka matches subscription patterns at the start of a name only, so the pattern also
    catches e.g. `departments.x.updates.dlq`: those are no updates.
    """
    if not re.fullmatch(topics.DEPARTMENT_UPDATES_PATTERN, topic):
        return None
    return topic.removeprefix("departments.").removesuffix(".updates")
