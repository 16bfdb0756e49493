"""HTTP controllers and schemas of the JSON API under /api/v1, plus health probes."""

from datetime import datetime
from typing import Any, Literal

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody
from pydantic import BaseModel, EmailStr, Field
from stadtmelder_shared.events import Location

from stadtmelder_reports.domain import DESCRIPTION_MAX_LENGTH, Report, Submission
from stadtmelder_reports.service import ReportService


class CategoryOut(BaseModel):
    code: str
    name: str


class ReportIn(BaseModel):
    category: str = Field(min_length=1, max_length=64, examples=["street_light"])
    description: str = Field(min_length=1, max_length=DESCRIPTION_MAX_LENGTH)
    lat: float = Field(ge=-90, le=90, examples=[51.4344])
    lon: float = Field(ge=-180, le=180, examples=[6.7623])
    email: EmailStr | None = Field(None, description="Never shown publicly; used for updates.")
    language: Literal["de", "en"] = "de"


class DepartmentOut(BaseModel):
    id: str
    name: str


class StatusChangeOut(BaseModel):
    status: str
    at: datetime


class ReportOut(BaseModel):
    """The public view of a report: never any personal data."""

    id: str
    status: str
    category: CategoryOut
    description: str
    lat: float
    lon: float
    department: DepartmentOut | None
    created_at: datetime
    history: list[StatusChangeOut]


def public_view(report: Report, language: str) -> ReportOut:
    return ReportOut(
        id=report.id,
        status=report.status,
        category=CategoryOut(code=report.category.code, name=report.category.name(language)),
        description=report.description,
        lat=report.location.lat,
        lon=report.location.lon,
        department=(
            DepartmentOut(id=report.department.id, name=report.department.name)
            if report.department
            else None
        ),
        created_at=report.created_at,
        history=[StatusChangeOut(status=c.status, at=c.at) for c in report.history],
    )


Language = FromQuery[Literal["de", "en"]]


class ReportsController(Controller):
    path = "/api/v1"
    tags = ["reports"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/categories")
    async def list_categories(
        self, service: NamedDependency[ReportService], lang: Language = "de"
    ) -> list[CategoryOut]:
        return [
            CategoryOut(code=c.code, name=c.names.get(lang, c.names["de"]))
            for c in service.categories
        ]

    @post("/reports")
    async def submit_report(
        self, service: NamedDependency[ReportService], data: JSONBody[ReportIn]
    ) -> ReportOut:
        report = await service.submit_report(
            Submission(
                category=data.category,
                description=data.description,
                location=Location(lat=data.lat, lon=data.lon),
                language=data.language,
                email=str(data.email) if data.email else None,
            )
        )
        return public_view(report, data.language)

    @get("/reports/{report_id:str}")
    async def show_report(
        self,
        service: NamedDependency[ReportService],
        report_id: FromPath[str],
        lang: Language = "de",
    ) -> ReportOut:
        return public_view(await service.public_report(report_id), lang)


class HealthController(Controller):
    path = "/health"
    include_in_schema = False

    @get("/live")
    async def live(self) -> dict[str, str]:
        return {"status": "ok"}

    @get("/ready")
    async def ready(self, request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
        checks = await request.app.state.readiness()
        ok = all(value == "ok" for value in checks.values())
        return Response(
            {"status": "ok" if ok else "unavailable", **checks}, status_code=200 if ok else 503
        )
