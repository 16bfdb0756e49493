"""Staff pages under /staff: sign-in, the department queue, triage and working one report.

The session is a signed cookie (staff/sign_in/); form posts carry a CSRF token as well.
"""

import hashlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from litestar import Controller, Response, Router, get, post
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import FormMultiDict
from litestar.exceptions import NotFoundException
from litestar.middleware.base import DefineMiddleware
from litestar.middleware.csrf import CSRFMiddleware
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.domain import Report, Visibility
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import (
    InvalidTransition,
    InvalidWorkRequest,
    NotAllowed,
    NotAuthenticated,
    ReportAlreadyClaimed,
    ReportChangedMeanwhile,
    ReportNotFound,
    ReportsError,
    UnknownDepartment,
)
from stadtmelder_reports.http.requests import AnyRequest, Work
from stadtmelder_reports.moderation.domain import may_moderate
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.staff.schemas import queue_item, staff_view
from stadtmelder_reports.staff.service import QueueFilters, WorkService
from stadtmelder_reports.staff.sign_in.domain import STAFF_HOME, SignInFailed
from stadtmelder_reports.staff.sign_in.pages import (
    SignInPages,
    current_session,
    problem_page,
    sign_in_first,
)
from stadtmelder_reports.staff.workflow import TransitionRequest, allowed_next
from stadtmelder_reports.web.rendering import choose_language, page, see_other
from stadtmelder_reports.web.report_pages import on_not_found
from stadtmelder_reports.web.texts import Words
from stadtmelder_reports.web.views import map_points, readable_answers
from stadtmelder_shared.event_values import Reporter

CSRF_COOKIE = "stadtmelder_staff_csrf"
STAFF_PATH = STAFF_HOME
# One page of work; a department with more open reports filters by overdue first.
QUEUE_PAGE = 200
# Work the page can hand back to the person as a sentence, with the form shown again.
WORK_PROBLEMS = (
    InvalidTransition,
    InvalidWorkRequest,
    ReportAlreadyClaimed,
    ReportChangedMeanwhile,
    UnknownDepartment,
)


async def signed_in(request: AnyRequest) -> StaffMember:
    """The staff member this browser's session names; NotAuthenticated without a session."""
    session = current_session(request)
    if session is None:
        raise NotAuthenticated("Sign in first.")
    return session.member


def on_not_authenticated(request: AnyRequest, _: NotAuthenticated) -> Response[Any]:
    return sign_in_first(request)


def on_not_allowed(request: AnyRequest, error: NotAllowed) -> Response[Any]:
    t = Words(choose_language(request))
    return page(
        request,
        "staff_message.html.j2",
        status_code=403,
        private=True,
        message=t("staff_forbidden", reason=t(error.key)),
    )


def work_jurisdiction(request: AnyRequest) -> Jurisdiction:
    """The catalogue, to show answers by their questions; staff work needs no more of it."""
    service: ReportService = request.app.state.service
    return service.jurisdiction


def department_name(work: WorkService, department_id: str | None, language: str) -> str:
    department = work.directory.get(department_id or "")
    return department.name(language) if department else (department_id or "")


class StaffPages(Controller):
    """Needs the dependencies `work` and `links` and `app.state.staff_verifier`; `staff_router`
    answers a missing sign-in or role for it, and keeps it out of the API's schema."""

    exception_handlers: ExceptionHandlersMap = {  # noqa: RUF012 (read by Litestar)
        ReportNotFound: on_not_found,
    }

    @get("/")
    async def start(self, request: AnyRequest) -> Redirect:
        member = await signed_in(request)
        if member.has("admin", "dispatcher") or member.department_id is None:
            return see_other(f"{STAFF_PATH}/triage")
        return see_other(f"{STAFF_PATH}/queue/{member.department_id}")

    @get("/queue/{department_id:str}")
    async def queue(
        self,
        request: AnyRequest,
        work: Work,
        department_id: FromPath[str],
        overdue: FromQuery[bool] = False,
    ) -> Template:
        member = await signed_in(request)
        filters = QueueFilters(overdue=overdue, limit=QUEUE_PAGE)
        reports = await work.queue(member, department_id, filters)
        return self._queue_page(request, work, member, department_id, reports, False, overdue)

    @get("/triage")
    async def triage(
        self, request: AnyRequest, work: Work, overdue: FromQuery[bool] = False
    ) -> Template:
        member = await signed_in(request)
        reports = await work.triage_queue(member, QueueFilters(overdue=overdue, limit=QUEUE_PAGE))
        triage_id = work.directory.triage.id
        return self._queue_page(request, work, member, triage_id, reports, True, overdue)

    def _queue_page(
        self,
        request: AnyRequest,
        work: WorkService,
        member: StaffMember,
        department_id: str,
        reports: list[Any],
        triage: bool,
        overdue: bool,
    ) -> Template:
        language = choose_language(request)
        now = work.now()
        return page(
            request,
            "staff_queue.html.j2",
            private=True,
            member=member,
            triage=triage,
            overdue=overdue,
            # Dispatchers and admins look into every department's queue.
            queues=[
                {"id": d.id, "name": d.name(language)}
                for d in work.directory.departments
                if not d.triage
            ]
            if member.has("admin", "dispatcher")
            else [],
            department=department_name(work, department_id, language),
            items=[queue_item(report, now, language) for report in reports],
        )

    @get("/reports/{report_id:str}")
    async def report(self, request: AnyRequest, work: Work, report_id: FromPath[str]) -> Template:
        member = await signed_in(request)
        return await self._report_page(request, work, member, report_id)

    async def _report_page(
        self,
        request: AnyRequest,
        work: WorkService,
        member: StaffMember,
        report_id: str,
        problem: str | None = None,
        status_code: int = 200,
        contact: Reporter | None = None,
    ) -> Template:
        language = choose_language(request)
        report = await work.report(member, report_id)
        view = staff_view(report, work.now(), language, "")
        departments = [
            {"id": d.id, "name": d.name(language)}
            for d in work.directory.departments
            if not d.triage
        ]
        return page(
            request,
            "staff_report.html.j2",
            status_code=status_code,
            private=True,
            member=member,
            report=view,
            next_steps=allowed_next(report.status),
            departments=departments,
            may_claim=report.department is not None
            and member.department_id == report.department.id
            and report.assignee != member.user_id,
            points=map_points([view], Words(language), link=False),
            answers=readable_answers(
                work_jurisdiction(request), report.category.code, report.answers, language
            ),
            problem=problem,
            contact=contact,
            done=request.query_params.get("done") == "1",
            moderation=report if may_moderate(member) else None,
        )

    @post("/reports/{report_id:str}/contact")
    async def contact(self, request: AnyRequest, work: Work, report_id: FromPath[str]) -> Template:
        """The reporter's contact data, read through the audited path; a POST, as it is recorded."""
        member = await signed_in(request)
        reporter = await work.contact(member, report_id)
        return await self._report_page(request, work, member, report_id, contact=reporter)

    @post("/reports/{report_id:str}/{step:str}")
    async def work_step(
        self, request: AnyRequest, work: Work, report_id: FromPath[str], step: FromPath[str]
    ) -> Template | Redirect:
        """One step of the report's work (see `WORK_STEPS`), then the report again: with
        "saved", or with what went wrong."""
        do = WORK_STEPS.get(step)
        if do is None:
            raise NotFoundException()
        member = await signed_in(request)
        form = await request.form()
        t = Words(choose_language(request))
        try:
            await do(work, member, report_id, form)
        except WORK_PROBLEMS as error:
            problem = t("staff_problem", reason=explain_work_problem(error, t))
            code = 400 if isinstance(error, InvalidWorkRequest) else 409
            return await self._report_page(request, work, member, report_id, problem, code)
        return see_other(f"{STAFF_PATH}/reports/{report_id}?done=1")


def transition(
    work: WorkService, member: StaffMember, report_id: str, form: FormMultiDict
) -> Awaitable[Report]:
    def field(name: str) -> str | None:
        return str(form.get(name) or "").strip() or None

    step = TransitionRequest(
        to=field("to") or "",
        public_comment=field("public_comment"),
        reason=field("reason"),
        duplicate_of=field("duplicate_of") if field("to") == "duplicate" else None,
        forward_to=field("forward_to") if field("to") == "forwarded" else None,
    )
    return work.transition(member, report_id, step)


def comment(
    work: WorkService, member: StaffMember, report_id: str, form: FormMultiDict
) -> Awaitable[Report]:
    visibility: Visibility = "public" if form.get("visibility") == "public" else "internal"
    return work.comment(member, report_id, visibility, str(form.get("text") or "")[:4000])


def claim(
    work: WorkService, member: StaffMember, report_id: str, form: FormMultiDict
) -> Awaitable[Report]:
    return work.claim(member, report_id)


# The steps of a report's work a staff page posts, by the last part of the form's URL: each
# reads its form and calls the work service.
WORK_STEPS: dict[
    str, Callable[[WorkService, StaffMember, str, FormMultiDict], Awaitable[Report]]
] = {"transition": transition, "comment": comment, "claim": claim}


def explain_work_problem(error: ReportsError, t: Words) -> str:
    """What went wrong, in the page's language: a field's own sentence where the form has
    one, else a general one (the domain's English sentence is for the API)."""
    if isinstance(error, InvalidTransition):
        if not error.allowed:
            return t("staff_err_finished")
        allowed = ", ".join(t.composed("status_", status) for status in error.allowed)
        current = t.composed("status_", error.current)
        return t("staff_err_transition", current=current, allowed=allowed)
    if isinstance(error, ReportAlreadyClaimed):
        return t("staff_err_claimed", assignee=error.assignee)
    if isinstance(error, ReportChangedMeanwhile):
        return t("staff_err_changed")
    if isinstance(error, UnknownDepartment):
        return t("staff_err_forward_to")
    problems = getattr(error, "problems", None) or []
    known = {"reason", "duplicate_of", "forward_to", "text"}
    if problems and all(p.field in known for p in problems):
        return " ".join(t.composed("staff_err_", p.field) for p in problems)
    return t("staff_err_other")


def staff_router(
    csrf_secret: str, secure_cookies: bool = False, pages: Sequence[type[Controller]] = ()
) -> Router:
    """The staff pages behind CSRF protection: their posts ride on a session cookie."""
    csrf = CSRFConfig(
        secret=hashlib.sha256(f"staff-pages-csrf|{csrf_secret}".encode()).hexdigest(),
        cookie_name=CSRF_COOKIE,
        cookie_path=STAFF_PATH,
        cookie_httponly=True,
        # Lax like the session: a page opened from a mail link can post its forms at once.
        cookie_samesite="lax",
        cookie_secure=secure_cookies,
    )
    return Router(
        path=STAFF_PATH,
        route_handlers=[SignInPages, StaffPages, *pages],
        middleware=[DefineMiddleware(CSRFMiddleware, config=csrf)],
        # The other pages under /staff send a signed-out person to the sign-in too.
        exception_handlers={
            NotAuthenticated: on_not_authenticated,
            NotAllowed: on_not_allowed,
            SignInFailed: problem_page,
        },
        include_in_schema=False,
    )
