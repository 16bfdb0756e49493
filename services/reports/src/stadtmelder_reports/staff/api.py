"""The staff API under /api/v1/staff: department queues, triage, report work and its audit."""

import base64
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from litestar import Controller, Request, get, post
from litestar.datastructures import CacheControlHeader, State
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_201_CREATED

from stadtmelder_reports.core.domain import Report
from stadtmelder_reports.errors import InvalidQuery
from stadtmelder_reports.http.declared_responses import STAFF, ConflictOut, declared
from stadtmelder_reports.http.requests import Links, Texts, Work
from stadtmelder_reports.http.schemas import DepartmentOut, LanguageCode
from stadtmelder_reports.staff.auth import StaffAuthentication, StaffMember
from stadtmelder_reports.staff.schemas import (
    AssignIn,
    AuditEntryOut,
    CommentIn,
    ContactOut,
    QueuePage,
    StaffMemberOut,
    StaffReportOut,
    TransitionIn,
    audit_entry_out,
    contact_out,
    queue_item,
    staff_member_out,
    staff_view,
)
from stadtmelder_reports.staff.service import QueueFilters, WorkService

StaffRequest = Request[StaffMember, str, State]
Limit = Annotated[int, QueryParameter(ge=1, le=200)]
BEARER_SCHEME = "StaffBearerToken"
CONFLICT = {409: ConflictOut}
# The answers of a route that changes a report with what the body asks.
CHANGE_WITH_BODY = declared(*STAFF, 404, 409, 413, bodies=CONFLICT)


def changing(path: str, status_code: int = HTTP_200_OK) -> post:
    """A route that changes one report with what the body asks."""
    return post(path, status_code=status_code, responses=CHANGE_WITH_BODY)


@dataclass(frozen=True)
class ReportChange:
    """What a route changing one report needs: who asks, the work service, which report, and
    the answer after the change."""

    member: StaffMember
    work: WorkService
    report_id: str
    base_url: str

    def answer(self, report: Report) -> StaffReportOut:
        """The report as staff see it after the change; the staff API answers in German."""
        return staff_view(report, self.work.now(), "de", self.base_url)


def report_change(
    request: StaffRequest, work: Work, links: Links, report_id: FromPath[str]
) -> ReportChange:
    return ReportChange(request.user, work, report_id, links.base_url)


Change = NamedDependency[ReportChange]


def encode_queue_cursor(report: Report) -> str:
    due = report.due_at.isoformat() if report.due_at else ""
    return base64.urlsafe_b64encode(f"{due}|{report.id}".encode()).decode()


def decode_queue_cursor(cursor: str) -> tuple[datetime | None, str]:
    try:
        due, report_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return (datetime.fromisoformat(due) if due else None), report_id
    except ValueError:
        raise InvalidQuery(
            "cursor", "Use the next_cursor of the previous page unchanged."
        ) from None


def queue_filters(
    status: Texts = None,
    category: Texts = None,
    overdue: FromQuery[bool] = False,
    assigned: FromQuery[str | None] = None,
    cursor: FromQuery[str | None] = None,
    limit: Limit = 50,
) -> QueueFilters:
    """The query of both queues: which reports, and the page after `cursor`."""
    return QueueFilters(
        statuses=tuple(status or ()),
        categories=tuple(category or ()),
        overdue=overdue,
        assigned=assigned,
        after=decode_queue_cursor(cursor) if cursor else None,
        limit=limit,
    )


Filters = NamedDependency[QueueFilters]


class StaffOnly(Controller):
    """What every staff controller shares: a staff member's bearer token, and no caching."""

    tags = ["staff"]  # noqa: RUF012 (Litestar reads these as class attributes)
    middleware = [StaffAuthentication]  # noqa: RUF012
    security = [{BEARER_SCHEME: []}]  # noqa: RUF012
    # Staff answers hold internal notes and personal data: no cache may keep them.
    cache_control = CacheControlHeader(no_store=True)


class StaffController(StaffOnly):
    """Every route needs a staff member's bearer token; see `staff.access` for who sees what."""

    path = "/api/v1/staff"
    dependencies = {  # noqa: RUF012
        "filters": Provide(queue_filters, sync_to_thread=False),
        "change": Provide(report_change, sync_to_thread=False),
    }

    @get("/me", responses=declared(401, 403, 503))
    async def me(self, request: StaffRequest, work: Work) -> StaffMemberOut:
        """Who the token says you are: roles and department."""
        member = request.user
        department = work.directory.get(member.department_id) if member.department_id else None
        out = DepartmentOut(id=department.id, name=department.name()) if department else None
        return staff_member_out(member, out)

    @get("/departments/{department_id:str}/queue", responses=declared(*STAFF, 404))
    async def department_queue(
        self,
        request: StaffRequest,
        work: Work,
        department_id: FromPath[str],
        filters: Filters,
        lang: FromQuery[LanguageCode] = "de",
    ) -> QueuePage:
        """Open reports by default; earliest due date first, so overdue ones come first.

        `assigned` is `me` or `none`; `cursor` is the previous page's `next_cursor`.
        """
        reports = await work.queue(request.user, department_id, filters)
        return _page(work, reports, filters.limit, lang)

    @get("/triage", responses=declared(*STAFF))
    async def triage_queue(
        self,
        request: StaffRequest,
        work: Work,
        filters: Filters,
        lang: FromQuery[LanguageCode] = "de",
    ) -> QueuePage:
        """Reports no rule could place: forward each to the department responsible."""
        reports = await work.triage_queue(request.user, filters)
        return _page(work, reports, filters.limit, lang)

    @get("/reports/{report_id:str}", responses=declared(*STAFF, 404))
    async def show_report(
        self,
        request: StaffRequest,
        work: Work,
        links: Links,
        report_id: FromPath[str],
        lang: FromQuery[LanguageCode] = "de",
    ) -> StaffReportOut:
        report = await work.report(request.user, report_id)
        return staff_view(report, work.now(), lang, links.base_url)

    @get("/reports/{report_id:str}/contact", responses=declared(*STAFF, 404))
    async def reporter_contact(
        self, request: StaffRequest, work: Work, report_id: FromPath[str]
    ) -> ContactOut:
        """The reporter's e-mail, name and phone. Each read is recorded in the audit trail."""
        reporter = await work.contact(request.user, report_id)
        if reporter is None:
            return ContactOut(email=None, name=None, phone=None, language="de")
        return contact_out(reporter)

    @post(
        "/reports/{report_id:str}/claim",
        status_code=HTTP_200_OK,
        responses=declared(*STAFF, 404, 409, bodies=CONFLICT),
    )
    async def claim(self, change: Change) -> StaffReportOut:
        """Assign the report to yourself."""
        return change.answer(await change.work.claim(change.member, change.report_id))

    @changing("/reports/{report_id:str}/assign")
    async def assign(self, change: Change, data: JSONBody[AssignIn]) -> StaffReportOut:
        report = await change.work.assign(change.member, change.report_id, data.user_id)
        return change.answer(report)

    @changing("/reports/{report_id:str}/transitions")
    async def transition(self, change: Change, data: JSONBody[TransitionIn]) -> StaffReportOut:
        """Move the report on; 409 names the steps its status allows."""
        report = await change.work.transition(change.member, change.report_id, data.request())
        return change.answer(report)

    @changing("/reports/{report_id:str}/comments", status_code=HTTP_201_CREATED)
    async def comment(self, change: Change, data: JSONBody[CommentIn]) -> StaffReportOut:
        """A public comment (shown with the report) or an internal note (staff only)."""
        report = await change.work.comment(
            change.member, change.report_id, data.visibility, data.text
        )
        return change.answer(report)

    @get("/reports/{report_id:str}/audit", responses=declared(*STAFF, 404))
    async def audit(
        self, request: StaffRequest, work: Work, report_id: FromPath[str]
    ) -> list[AuditEntryOut]:
        """Who did what to the report, oldest first: dispatchers and admins only."""
        entries = await work.audit_trail(request.user, report_id)
        return [audit_entry_out(entry) for entry in entries]


def _page(work: WorkService, reports: list[Report], limit: int, language: str) -> QueuePage:
    now = work.now()
    return QueuePage(
        items=[queue_item(report, now, language) for report in reports],
        next_cursor=encode_queue_cursor(reports[-1]) if len(reports) == limit else None,
    )
