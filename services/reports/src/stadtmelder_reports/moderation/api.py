"""The moderation endpoints of the staff API: what the public sees of a report, and changing it."""

from datetime import datetime
from typing import Literal

from litestar import get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, Field

from stadtmelder_reports.commands.domain import Moderation
from stadtmelder_reports.core.domain import DESCRIPTION_MAX_LENGTH, MAX_PHOTOS, Report
from stadtmelder_reports.http.declared_responses import STAFF, ConflictOut, declared
from stadtmelder_reports.moderation.domain import REASON_MAX_LENGTH
from stadtmelder_reports.moderation.service import ModerationService
from stadtmelder_reports.staff.api import StaffOnly, StaffRequest
from stadtmelder_reports.staff.schemas import ActorOut
from stadtmelder_shared.event_values import ModerationAction

Moderating = NamedDependency[ModerationService]
# The request's verb and the step it leaves in the report's history.
ACTIONS: dict[str, ModerationAction] = {
    "hide": "hidden",
    "show": "shown",
    "redact": "redacted",
    "remove_photo": "photo_removed",
}


class ModerationIn(BaseModel):
    action: Literal["hide", "show", "redact", "remove_photo"]
    reason: str = Field(
        min_length=1,
        max_length=REASON_MAX_LENGTH,
        description="Why; kept in the audit and shown to the reporter on the tracking page.",
    )
    text: str | None = Field(
        None, max_length=DESCRIPTION_MAX_LENGTH, description="redact: the text the public sees."
    )
    photo: int | None = Field(None, ge=1, le=MAX_PHOTOS, description="remove_photo: its number.")


class ModerationStepOut(BaseModel):
    """One step as it was announced (ReportModerated), oldest first."""

    action: str
    reason: str
    occurred_at: datetime
    actor: ActorOut
    public_description: str | None
    photo: int | None


class ModerationOut(BaseModel):
    """What the public sees now; the original description is in the staff view of the report."""

    report_id: str
    hidden: bool
    public_description: str
    removed_photos: list[int]
    steps: list[ModerationStepOut]


def provide_moderation(state: State) -> ModerationService:
    moderation: ModerationService = state.moderation
    return moderation


class ModerationController(StaffOnly):
    """Dispatchers and admins only; each step is an event, audited, told on the tracking page."""

    path = "/api/v1/staff/reports/{report_id:str}/moderation"
    dependencies = {"moderation": Provide(provide_moderation, sync_to_thread=False)}  # noqa: RUF012

    @get(responses=declared(*STAFF, 404))
    async def show(
        self, request: StaffRequest, moderation: Moderating, report_id: FromPath[str]
    ) -> ModerationOut:
        return moderation_out(await moderation.report(request.user, report_id))

    @post(
        status_code=HTTP_200_OK,
        responses=declared(*STAFF, 404, 409, 413, bodies={409: ConflictOut}),
    )
    async def moderate(
        self,
        request: StaffRequest,
        moderation: Moderating,
        report_id: FromPath[str],
        data: JSONBody[ModerationIn],
    ) -> ModerationOut:
        """Hide or show the report, redact its description (`text`) or remove a photo
        (`photo`); every public answer follows at once."""
        asked = Moderation(
            action=ACTIONS[data.action], reason=data.reason, text=data.text, photo=data.photo
        )
        report = await moderation.moderate(request.user, report_id, asked)
        return moderation_out(report)


def moderation_out(report: Report) -> ModerationOut:
    steps = [ModerationStepOut.model_validate(step.model_dump()) for step in report.moderation]
    return ModerationOut(
        report_id=report.id,
        hidden=report.hidden,
        public_description=report.public_description,
        removed_photos=sorted(report.removed_photos),
        steps=steps,
    )
