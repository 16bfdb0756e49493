"""Public pages everyone may open: reports on a map and in a list, one report with "support
it", and the area-alert subscription."""

from typing import Any
from urllib.parse import urlencode

from email_validator import EmailNotValidError, validate_email
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.alerts.domain import AlertRequest, InvalidAlert
from stadtmelder_reports.alerts.service import AlertService
from stadtmelder_reports.core.categories import localized
from stadtmelder_reports.core.domain import OPEN_STATUSES
from stadtmelder_reports.core.report_queries import ReportQuery
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import (
    InvalidQuery,
    ReportClosed,
    ReportNotFound,
    TooManySubmissions,
)
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import (
    AnyRequest,
    Service,
    client_address,
    decode_cursor,
    encode_cursor,
)
from stadtmelder_reports.http.schemas import category_out, public_view
from stadtmelder_reports.support.api import Support
from stadtmelder_reports.web.rendering import choose_language, page, see_other
from stadtmelder_reports.web.report_pages import on_not_found
from stadtmelder_reports.web.texts import Words
from stadtmelder_reports.web.views import map_points, readable_answers
from stadtmelder_shared.event_values import Reporter

CLOSED_STATUSES = ("resolved", "rejected", "duplicate")
PAGE_SIZE = 50
ALERT_RADII = (250, 500, 1000, 2000)


def statuses_for(shown: str) -> tuple[str, ...]:
    if shown == "open":
        return tuple(sorted(OPEN_STATUSES))
    if shown == "closed":
        return CLOSED_STATUSES
    return ()


class PublicPages(Controller):
    """Needs the dependencies `service`, `alerts` and `limiter` of the JSON API."""

    include_in_schema = False
    exception_handlers: ExceptionHandlersMap = {  # noqa: RUF012 (read by Litestar)
        ReportNotFound: on_not_found,
        InvalidQuery: on_not_found,
    }

    @get("/reports")
    async def list_reports(
        self,
        request: AnyRequest,
        service: Service,
        category: FromQuery[str | None] = None,
        status: FromQuery[str] = "open",
        cursor: FromQuery[str | None] = None,
    ) -> Template:
        language = choose_language(request)
        t = Words(language)
        known = service.jurisdiction.category(category or "")
        reports = await service.list_reports(
            ReportQuery(
                jurisdiction=service.jurisdiction.code,
                categories=(known.code,) if known else (),
                statuses=statuses_for(status),
                after=decode_cursor(cursor) if cursor else None,
                limit=PAGE_SIZE,
            )
        )
        views = [public_view(r, language, "") for r in reports]
        older = None
        if len(reports) == PAGE_SIZE:
            next_cursor = encode_cursor(reports[-1].created_at, reports[-1].id)
            chosen = {"category": known.code if known else "", "status": status}
            older = f"/reports?{urlencode({**chosen, 'cursor': next_cursor})}"
        return page(
            request,
            "reports.html.j2",
            reports=views,
            points=map_points(views, t),
            categories=[category_out(c, language) for c in service.jurisdiction.categories],
            chosen_category=known.code if known else "",
            chosen_status=status if status in ("open", "closed", "all") else "open",
            older=older,
        )

    @get("/reports/{report_id:str}")
    async def show_report(
        self, request: AnyRequest, service: Service, report_id: FromPath[str]
    ) -> Template:
        # "confirm": an address came with the support, and was sent its confirmation request.
        supported = request.query_params.get("supported")
        return await self._report_page(
            request,
            service,
            report_id,
            200,
            supported=supported in ("1", "confirm"),
            asked=supported == "confirm",
        )

    @post("/reports/{report_id:str}/support")
    async def support(
        self,
        request: AnyRequest,
        service: Service,
        support: Support,
        limiter: NamedDependency[SubmissionLimiter],
        report_id: FromPath[str],
    ) -> Template | Redirect:
        language = choose_language(request)
        t = Words(language)
        form = await request.form()
        raw_email = str(form.get("email") or "").strip()
        supporter = None
        try:
            await limiter.check(client_address(request))
            if raw_email:
                email = validate_email(raw_email, check_deliverability=False).normalized
                supporter = Reporter(email=email, language=language)
            await support.support(report_id, supporter)
        except EmailNotValidError:
            return await self._report_with(request, service, report_id, t("err_email"), 400)
        except ReportClosed:
            return await self._report_with(request, service, report_id, t("closed"), 409)
        except TooManySubmissions as error:
            wait = t("too_many", seconds=error.retry_after_seconds)
            return await self._report_with(request, service, report_id, wait, 429)
        return see_other(f"/reports/{report_id}?supported={'confirm' if supporter else '1'}")

    async def _report_with(
        self, request: AnyRequest, service: ReportService, report_id: str, problem: str, code: int
    ) -> Template:
        return await self._report_page(request, service, report_id, code, problem=problem)

    async def _report_page(
        self,
        request: AnyRequest,
        service: ReportService,
        report_id: str,
        code: int,
        **extra: Any,
    ) -> Template:
        """The public page of one report; `extra` adds the outcome of a support form."""
        language = choose_language(request)
        report = await service.public_report(report_id)
        view = public_view(report, language, "")
        return page(
            request,
            "report.html.j2",
            status_code=code,
            report=view,
            points=map_points([view], Words(language), link=False),
            answers=readable_answers(
                service.jurisdiction, report.category.code, report.answers, language
            ),
            is_open=report.is_open,
            **extra,
        )

    @get("/alerts")
    async def alert_form(
        self, request: AnyRequest, alerts: NamedDependency[AlertService]
    ) -> Template:
        return self._alert_page(request, alerts, {}, [])

    @post("/alerts")
    async def subscribe(
        self,
        request: AnyRequest,
        alerts: NamedDependency[AlertService],
        limiter: NamedDependency[SubmissionLimiter],
    ) -> Template:
        language = choose_language(request)
        t = Words(language)
        form = await request.form()
        values = {key: str(form.get(key) or "").strip() for key in form}
        errors: list[dict[str, str]] = []
        lat = lon = radius = None
        district = None
        if values.get("where") == "district":
            district = values.get("district") or None
        else:
            try:
                lat = float(values.get("lat", "").replace(",", "."))
                lon = float(values.get("lon", "").replace(",", "."))
                radius = float(values.get("radius") or 500)
            except ValueError:
                errors.append({"field": "lat", "text": t("err_coordinates")})
        try:
            email = validate_email(values.get("email", ""), check_deliverability=False).normalized
        except EmailNotValidError:
            errors.append({"field": "email", "text": t("err_email")})
        if errors:
            return self._alert_page(request, alerts, values, errors, 400)
        try:
            await limiter.check(client_address(request))
            await alerts.request_alert(
                AlertRequest(
                    email=email,
                    language=language,
                    lat=lat,
                    lon=lon,
                    radius_m=radius,
                    district=district,
                    category=values.get("category") or None,
                    frequency="daily" if values.get("frequency") == "daily" else "immediately",
                )
            )
        except InvalidAlert as invalid:
            found = [
                {"field": "lat", "text": t(p.key or "alerts_err_place")} for p in invalid.problems
            ]
            return self._alert_page(request, alerts, values, found, 400)
        except TooManySubmissions as error:
            wait = t("too_many", seconds=error.retry_after_seconds)
            return self._alert_page(
                request, alerts, values, [{"field": "email", "text": wait}], 429
            )
        return page(request, "alert_sent.html.j2")

    def _alert_page(
        self,
        request: AnyRequest,
        alerts: AlertService,
        values: dict[str, str],
        errors: list[dict[str, str]],
        status_code: int = 200,
    ) -> Template:
        language = choose_language(request)
        return page(
            request,
            "alerts.html.j2",
            status_code=status_code,
            values=values,
            errors=errors,
            districts=alerts.districts,
            radii=ALERT_RADII,
            categories=[
                {"code": c.code, "name": localized(c.names, language)}
                for c in alerts.jurisdiction.categories
            ],
        )
