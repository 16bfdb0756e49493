"""JSON API controllers under /api/v1: categories, reports, photos, support, tracking, health."""

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_409_CONFLICT

from stadtmelder_reports.core.domain import NewReport, Submission
from stadtmelder_reports.core.geography import BoundingBox
from stadtmelder_reports.core.report_queries import ReportQuery
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import FieldProblem, InvalidQuery, InvalidReport
from stadtmelder_reports.http.declared_responses import (
    BY_KEY,
    QUERY_REFUSED,
    READ,
    REPEATED_TEXT,
    REPORT_FORM_REFUSED,
    REPORT_REFUSED,
    SUPPORT_REFUSED,
    declared,
    report_submission,
)
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.schemas import (
    CategoryOut,
    LanguageCode,
    NearbyReportOut,
    NewReportOut,
    ReportIn,
    ReportOut,
    ReportPage,
    SupportIn,
    category_out,
    geojson_feature,
    public_view,
)
from stadtmelder_reports.photos.cleaning import CleanPhoto
from stadtmelder_reports.photos.uploads import PhotoCleaning, clean_photos
from stadtmelder_reports.request_limits import MAX_TEXT_PART_BYTES
from stadtmelder_shared.events import Location, Reporter

GEOJSON = "application/geo+json"
Service = NamedDependency[ReportService]


@dataclass(frozen=True)
class ApiSettings:
    """Absolute URLs in answers come from the public base URL, never from request headers."""

    base_url: str
    max_photo_bytes: int


Links = NamedDependency[ApiSettings]
# A query parameter given any number of times, e.g. `?category=a&category=b`.
Texts = Annotated[list[str] | None, QueryParameter(schema_extra=REPEATED_TEXT)]


@dataclass
class ReportForm:
    """The multipart form of a new report: the fields of ReportIn, `answers` as a JSON object."""

    category: str
    description: str
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    answers: str | None = None
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    language: str = "de"
    check_duplicates: bool = False
    photos: list[UploadFile] = field(default_factory=list)


def client_address(request: Request[Any, Any, Any]) -> str:
    """The caller's address; uvicorn rewrites it from proxy headers only for trusted proxies."""
    return f"ip:{request.client.host if request.client else 'unknown'}"


def encode_cursor(created_at: datetime, report_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{report_id}".encode()).decode()


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, report_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return datetime.fromisoformat(at), report_id
    except ValueError:
        raise InvalidQuery(
            "cursor", "Use the next_cursor of the previous page unchanged."
        ) from None


class ReportsController(Controller):
    path = "/api/v1"
    tags = ["reports"]  # noqa: RUF012 (Litestar reads it as a class attribute)

    @get("/categories", responses=declared(400))
    async def list_categories(
        self, service: Service, lang: FromQuery[LanguageCode] = "de"
    ) -> list[CategoryOut]:
        return [category_out(c, lang) for c in service.jurisdiction.categories]

    @post("/reports", status_code=201, responses=report_submission(REPORT_REFUSED))
    async def submit_report(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        links: Links,
        limiter: NamedDependency[SubmissionLimiter],
        data: JSONBody[ReportIn],
    ) -> Response[Any]:
        await limiter.check(client_address(request))
        return await _submit(service, links, data, photos=())

    @post("/reports/form", status_code=201, responses=report_submission(REPORT_FORM_REFUSED))
    async def submit_report_form(
        self,
        request: Request[Any, Any, Any],
        limiter: NamedDependency[SubmissionLimiter],
        service: Service,
        links: Links,
        photo_workers: PhotoCleaning,
        data: Annotated[ReportForm, Body(media_type=RequestEncodingType.MULTI_PART)],
    ) -> Response[Any]:
        """The same as POST /reports, as multipart/form-data with up to three `photos` files."""
        await limiter.check(client_address(request))
        fields = {k: v for k, v in vars(data).items() if k not in {"photos", "answers"}}
        report = ReportIn.model_validate({**fields, "answers": _answers_from_form(data.answers)})
        photos = await clean_photos(data.photos, links.max_photo_bytes, photo_workers)
        return await _submit(service, links, report, photos)

    @get(
        "/reports",
        media_type="application/json",
        responses=declared(*READ, why={400: QUERY_REFUSED}),
    )
    async def list_reports(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        links: Links,
        bbox: FromQuery[str | None] = None,
        category: Texts = None,
        status: Texts = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        jurisdiction: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        format: FromQuery[str | None] = None,
        lang: FromQuery[LanguageCode] = "de",
    ) -> Response[Any]:
        """Newest first. `bbox` is min_lon,min_lat,max_lon,max_lat; GeoJSON on request."""
        if jurisdiction not in (None, service.jurisdiction.code):
            raise InvalidQuery(
                "jurisdiction", f"Only {service.jurisdiction.code!r} is served here."
            )
        try:
            box = BoundingBox.parse(bbox) if bbox else None
        except ValueError as error:
            raise InvalidQuery("bbox", str(error)) from None
        reports = await service.list_reports(
            ReportQuery(
                jurisdiction=service.jurisdiction.code,
                bbox=box,
                categories=tuple(category or ()),
                statuses=tuple(status or ()),
                since=since,
                until=until,
                after=decode_cursor(cursor) if cursor else None,
                limit=limit,
            )
        )
        views = [public_view(r, lang, links.base_url) for r in reports]
        next_cursor = (
            encode_cursor(reports[-1].created_at, reports[-1].id) if len(reports) == limit else None
        )
        if format == "geojson" or GEOJSON in request.headers.get("accept", ""):
            collection = {
                "type": "FeatureCollection",
                "features": [geojson_feature(view) for view in views],
                "next_cursor": next_cursor,
            }
            return Response(collection, media_type=GEOJSON)
        return Response(ReportPage(items=views, next_cursor=next_cursor))

    @get("/reports/nearby", responses=declared(*READ))
    async def nearby_reports(
        self,
        service: Service,
        links: Links,
        category: FromQuery[str],
        lat: Annotated[float, QueryParameter(ge=-90, le=90)],
        lon: Annotated[float, QueryParameter(ge=-180, le=180)],
        # Litestar drops `gt` from the schema of an optional number; schema_extra restores it.
        radius: Annotated[
            float | None, QueryParameter(gt=0, le=1000, schema_extra={"exclusiveMinimum": 0})
        ] = None,
        lang: FromQuery[LanguageCode] = "de",
    ) -> list[NearbyReportOut]:
        """Open reports of the category near a place: offer them before a new report is filed."""
        found = await service.open_reports_nearby(category, Location(lat=lat, lon=lon), radius)
        return [
            NearbyReportOut(
                report=public_view(r, lang, links.base_url), distance_m=round(distance, 1)
            )
            for r, distance in found
        ]

    @get("/reports/{report_id:str}", responses=declared(*BY_KEY))
    async def show_report(
        self,
        service: Service,
        links: Links,
        report_id: FromPath[str],
        lang: FromQuery[LanguageCode] = "de",
    ) -> ReportOut:
        return public_view(await service.public_report(report_id), lang, links.base_url)

    @post(
        "/reports/{report_id:str}/support",
        status_code=HTTP_200_OK,
        responses=declared(
            *BY_KEY, 409, 413, 429, why={400: SUPPORT_REFUSED, 409: "The report is closed already."}
        ),
    )
    async def support_report(
        self,
        request: Request[Any, Any, Any],
        limiter: NamedDependency[SubmissionLimiter],
        service: Service,
        links: Links,
        report_id: FromPath[str],
        data: JSONBody[SupportIn],
    ) -> ReportOut:
        """Back an open report instead of filing a new one; supporters hear about every step."""
        await limiter.check(client_address(request))
        supporter = (
            Reporter(email=str(data.email), name=data.name, language=data.language)
            if data.email
            else None
        )
        report = await service.support_report(report_id, supporter)
        return public_view(report, data.language, links.base_url)

    @get(
        "/reports/{report_id:str}/photos/{number:int}",
        media_type="image/jpeg",
        responses=declared(*BY_KEY),
    )
    async def photo(
        self, service: Service, report_id: FromPath[str], number: FromPath[int]
    ) -> Response[bytes]:
        photo = await service.photo(report_id, number)
        return _photo_response(photo.data, photo.media_type)

    @get(
        "/reports/{report_id:str}/photos/{number:int}/thumbnail",
        media_type="image/jpeg",
        responses=declared(*BY_KEY),
    )
    async def thumbnail(
        self, service: Service, report_id: FromPath[str], number: FromPath[int]
    ) -> Response[bytes]:
        photo = await service.photo(report_id, number, thumbnail=True)
        return _photo_response(photo.data, photo.media_type)

    @get("/track/{token:str}", responses=declared(*BY_KEY))
    async def track_report(
        self,
        service: Service,
        links: Links,
        token: FromPath[str],
        lang: FromQuery[LanguageCode] = "de",
    ) -> ReportOut:
        """The reporter's private link: the report's public view, found by its tracking token."""
        return public_view(await service.tracked_report(token), lang, links.base_url)


def _photo_response(data: bytes, media_type: str) -> Response[bytes]:
    # Photos never change once stored; caches may keep them.
    return Response(
        data,
        media_type=media_type,
        headers={"cache-control": "public, max-age=86400, immutable"},
    )


def _answers_from_form(raw: str | None) -> dict[str, Any]:
    if not raw:
        return {}
    if len(raw) > MAX_TEXT_PART_BYTES:
        # The request watch caps text parts while they arrive; this holds should it be bypassed.
        raise InvalidReport(
            [FieldProblem("answers", f"Send at most {MAX_TEXT_PART_BYTES // 1024} KB of answers.")]
        )
    try:
        answers = json.loads(raw)
    except (json.JSONDecodeError, RecursionError):
        answers = None
    if not isinstance(answers, dict):
        raise InvalidReport(
            [
                FieldProblem(
                    "answers", 'Send the answers as a JSON object, e.g. {"pole_number": "12"}.'
                )
            ]
        )
    return answers


async def _submit(
    service: ReportService, links: ApiSettings, data: ReportIn, photos: tuple[CleanPhoto, ...]
) -> Response[Any]:
    location = (
        Location(lat=data.lat, lon=data.lon)
        if data.lat is not None and data.lon is not None
        else None
    )
    if (data.lat is None) != (data.lon is None):
        raise InvalidReport(
            [FieldProblem("lat" if data.lat is None else "lon", "Give both lat and lon.")]
        )
    if data.check_duplicates and location is not None:
        nearby = await service.open_reports_nearby(data.category, location)
        if nearby:
            body = {
                "status_code": HTTP_409_CONFLICT,
                "code": "possible_duplicates",
                "detail": "Open reports of this kind exist nearby. Support one of them, or send "
                "the report again with check_duplicates set to false.",
                "duplicates": [
                    NearbyReportOut(
                        report=public_view(r, data.language, links.base_url),
                        distance_m=round(distance, 1),
                    ).model_dump(mode="json")
                    for r, distance in nearby
                ],
            }
            return Response(body, status_code=HTTP_409_CONFLICT)
    contact = (
        Reporter(
            email=str(data.email) if data.email else None,
            name=data.name,
            phone=data.phone,
            language=data.language,
        )
        if data.email or data.phone
        else None
    )
    new: NewReport = await service.submit_report(
        Submission(
            category=data.category,
            description=data.description,
            location=location,
            address=data.address,
            answers=data.answers,
            language=data.language,
            contact=contact,
        ),
        photos,
    )
    view = public_view(new.report, data.language, links.base_url)
    nearby_reports = (
        await service.open_reports_nearby(data.category, new.report.location)
        if new.report.location
        else []
    )
    out = NewReportOut(
        **view.model_dump(),
        tracking_token=new.tracking_token,
        tracking_url=f"{links.base_url}/track/{new.tracking_token}",
        possible_duplicates=[
            NearbyReportOut(report=public_view(r, data.language, links.base_url), distance_m=d)
            for r, d in nearby_reports
            if r.id != new.report.id
        ],
    )
    return Response(out, status_code=201)


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
        body = {"status": "ok" if ok else "unavailable", **checks}
        return Response(body, status_code=200 if ok else 503)
