"""The moderation forms of the staff report page: hide or show, redact, remove a photo."""

from litestar import Controller, post
from litestar.di import Provide
from litestar.params import FromPath
from litestar.response import Redirect

from stadtmelder_reports.commands.domain import Moderation
from stadtmelder_reports.errors import InvalidWorkRequest, ReportChangedMeanwhile
from stadtmelder_reports.http.requests import AnyRequest
from stadtmelder_reports.moderation.api import ACTIONS, Moderating, provide_moderation
from stadtmelder_reports.web.rendering import see_other
from stadtmelder_reports.web.staff_pages import STAFF_PATH, signed_in


class ModerationPages(Controller):
    """Part of the staff router, behind its sign-in cookie and CSRF check."""

    path = "/reports/{report_id:str}/moderation"
    dependencies = {"moderation": Provide(provide_moderation, sync_to_thread=False)}  # noqa: RUF012

    @post()
    async def moderate(
        self, request: AnyRequest, moderation: Moderating, report_id: FromPath[str]
    ) -> Redirect:
        """Back to the report page, which shows the new state, or that nothing was changed."""
        member = await signed_in(request)
        form = await request.form()
        action = ACTIONS.get(str(form.get("action")))
        photo = str(form.get("photo") or "")
        outcome = "moderation_failed=1"
        if action is not None:
            try:
                asked = Moderation(
                    action=action,
                    reason=str(form.get("reason") or "")[:1000],
                    text=str(form.get("text") or "")[:4000] or None,
                    photo=int(photo) if photo.isdigit() else None,
                )
                await moderation.moderate(member, report_id, asked)
                outcome = "done=1"
            except (InvalidWorkRequest, ReportChangedMeanwhile):
                pass  # the page says nothing changed; the form asks for what the rules need
        return see_other(f"{STAFF_PATH}/reports/{report_id}?{outcome}")
