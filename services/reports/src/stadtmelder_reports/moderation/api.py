"""The moderation endpoints of the staff API: what the public sees of a report, and changing it."""

from datetime import datetime
from typing import Literal

from litestar import Controller, get, post
from litestar.datastructures import CacheControlHeader, State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, JSONBody
from litestar.status_codes import HTTP_200_OK
from pydantic import BaseModel, Field

from stadtmelder_reports.core.domain import DESCRIPTION_MAX_LENGTH, MAX_PHOTOS, Report
from stadtmelder_reports.http.declared_responses import STAFF, ConflictOut, declared
from stadtmelder_reports.moderation.domain import REASON_MAX_LENGTH
from stadtmelder_reports.moderation.service import ModerationService
from stadtmelder_reports.staff.api import BEARER_SCHEME, StaffRequest
from stadtmelder_reports.staff.auth import StaffAuthentication
from stadtmelder_reports.staff.schemas import ActorOut, actor_out
from stadtmelder_shared.events import ModerationAction

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
    action: str
    reason: str
    at: datetime
    actor: ActorOut
    text: str | None
    photo: int | None


class ModerationOut(BaseModel):
    """The original for staff beside what the public sees; a hidden report is public nowhere."""

    report_id: str
    hidden: bool
    description: str
    public_description: str
    removed_photos: list[int]
    steps: list[ModerationStepOut]


def provide_moderation(state: State) -> ModerationService:
    moderation: ModerationService = state.moderation
    return moderation


class ModerationController(Controller):
    """Dispatchers and admins only; each step is an event, audited, told on the tracking page."""

    path = "/api/v1/staff/reports/{report_id:str}/moderation"
    tags = ["staff"]  # noqa: RUF012 (Litestar reads these as class attributes)
    middleware = [StaffAuthentication]  # noqa: RUF012
    security = [{BEARER_SCHEME: []}]  # noqa: RUF012
    cache_control = CacheControlHeader(no_store=True)
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
        report = await moderation.moderate(
            request.user, report_id, ACTIONS[data.action], data.reason, data.text, data.photo
        )
        return moderation_out(report)


def moderation_out(report: Report) -> ModerationOut:
    return ModerationOut(
        report_id=report.id,
        hidden=report.hidden,
        description=report.description,
        public_description=report.public_description,
        removed_photos=sorted(report.removed_photos),
        steps=[
            ModerationStepOut(
                action=m.action,
                reason=m.reason,
                at=m.occurred_at,
                actor=actor_out(m.actor),
                text=m.public_description,
                photo=m.photo,
            )
            for m in report.moderation
        ],
    )
