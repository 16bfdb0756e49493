"""The JSON API under /api/v1: categories, reports, nearby reports, photos, support, tracking."""

from datetime import datetime
from typing import Annotated, Any

from litestar import Controller, Request, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.enums import RequestEncodingType
from litestar.params import Body, FromPath, FromQuery, JSONBody, QueryParameter
from litestar.status_codes import HTTP_200_OK, HTTP_409_CONFLICT

from stadtmelder_reports.core.geography import BoundingBox
from stadtmelder_reports.core.report_queries import ReportQuery
from stadtmelder_reports.core.service import PhotosToClean, PossibleDuplicates, ReportService
from stadtmelder_reports.errors import InvalidQuery
from stadtmelder_reports.http.declared_responses import (
    BY_KEY,
    QUERY_REFUSED,
    READ,
    REPORT_FORM_REFUSED,
    REPORT_REFUSED,
    SUPPORT_REFUSED,
    declared,
    report_submission,
)
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.report_forms import ReportForm, submission_of
from stadtmelder_reports.http.requests import (
    ApiSettings,
    AsPublic,
    Links,
    Service,
    Texts,
    as_public,
    client_address,
    decode_cursor,
    encode_cursor,
)
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
from stadtmelder_reports.photos.uploads import PhotoCleaning, clean_photos
from stadtmelder_reports.support.api import Support
from stadtmelder_shared.event_values import Location, Reporter

GEOJSON = "application/geo+json"
PHOTO = "/reports/{report_id:str}/photos/{number:int}"


class ReportsController(Controller):
    path = "/api/v1"
    tags = ["reports"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    dependencies = {"as_public": Provide(as_public, sync_to_thread=False)}  # noqa: RUF012

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
        return await _submit(service, links, limiter, client_address(request), data)

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
        return await _submit(
            service,
            links,
            limiter,
            client_address(request),
            data,
            photos=lambda: clean_photos(data.photos, links.max_photo_bytes, photo_workers),
        )

    @get(
        "/reports",
        media_type="application/json",
        responses=declared(*READ, why={400: QUERY_REFUSED}),
    )
    async def list_reports(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        as_public: AsPublic,
        bbox: FromQuery[str | None] = None,
        category: Texts = None,
        status: Texts = None,
        since: FromQuery[datetime | None] = None,
        until: FromQuery[datetime | None] = None,
        jurisdiction: FromQuery[str | None] = None,
        cursor: FromQuery[str | None] = None,
        limit: Annotated[int, QueryParameter(ge=1, le=500)] = 50,
        format: FromQuery[str | None] = None,
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
        views = [as_public(r) for r in reports]
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
        as_public: AsPublic,
        category: FromQuery[str],
        lat: Annotated[float, QueryParameter(ge=-90, le=90)],
        lon: Annotated[float, QueryParameter(ge=-180, le=180)],
        # Litestar drops `gt` from the schema of an optional number; schema_extra restores it.
        radius: Annotated[
            float | None, QueryParameter(gt=0, le=1000, schema_extra={"exclusiveMinimum": 0})
        ] = None,
    ) -> list[NearbyReportOut]:
        """Open reports of the category near a place: offer them before a new report is filed."""
        found = await service.open_reports_nearby(category, Location(lat=lat, lon=lon), radius)
        return [
            NearbyReportOut(report=as_public(r), distance_m=round(distance, 1))
            for r, distance in found
        ]

    @get("/reports/{report_id:str}", responses=declared(*BY_KEY))
    async def show_report(
        self, service: Service, as_public: AsPublic, report_id: FromPath[str]
    ) -> ReportOut:
        return as_public(await service.public_report(report_id))

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
        support: Support,
        links: Links,
        report_id: FromPath[str],
        data: JSONBody[SupportIn],
    ) -> ReportOut:
        """Back an open report instead of filing a new one; it counts at once. A given address
        gets one mail, a link to confirm it, and hears about every step once it is confirmed."""
        await limiter.check(client_address(request))
        supporter = (
            Reporter(email=str(data.email), name=data.name, language=data.language)
            if data.email
            else None
        )
        report = await support.support(report_id, supporter)
        return public_view(report, data.language, links.base_url)

    @get([PHOTO, f"{PHOTO}/thumbnail"], media_type="image/jpeg", responses=declared(*BY_KEY))
    async def photo(
        self,
        request: Request[Any, Any, Any],
        service: Service,
        report_id: FromPath[str],
        number: FromPath[int],
    ) -> Response[bytes]:
        """A report's photo, or its thumbnail under the path that ends in `/thumbnail`."""
        thumbnail = request.url.path.endswith("/thumbnail")
        photo = await service.photo(report_id, number, thumbnail=thumbnail)
        return _photo_response(photo.data, photo.media_type)

    @get("/track/{token:str}", responses=declared(*BY_KEY))
    async def track_report(
        self, service: Service, as_public: AsPublic, token: FromPath[str]
    ) -> ReportOut:
        """The reporter's private link: the report's public view, found by its tracking token."""
        return as_public(await service.tracked_report(token))


def _photo_response(data: bytes, media_type: str) -> Response[bytes]:
    # Photos never change once stored; caches may keep them.
    return Response(
        data,
        media_type=media_type,
        headers={"cache-control": "public, max-age=86400, immutable"},
    )


async def _submit(
    service: ReportService,
    links: ApiSettings,
    limiter: SubmissionLimiter,
    client: str,
    data: ReportIn,
    photos: PhotosToClean | None = None,
) -> Response[Any]:
    outcome = await service.submit_from_citizen(
        limiter, client, submission_of(data), data.check_duplicates, photos
    )
    if isinstance(outcome, PossibleDuplicates):
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
                for r, distance in outcome.nearby
            ],
        }
        return Response(body, status_code=HTTP_409_CONFLICT)
    view = public_view(outcome.report, data.language, links.base_url)
    nearby_reports = (
        await service.open_reports_nearby(data.category, outcome.report.location)
        if outcome.report.location
        else []
    )
    out = NewReportOut(
        **view.model_dump(),
        tracking_token=outcome.tracking_token,
        tracking_url=f"{links.base_url}/track/{outcome.tracking_token}",
        possible_duplicates=[
            NearbyReportOut(report=public_view(r, data.language, links.base_url), distance_m=d)
            for r, d in nearby_reports
            if r.id != outcome.report.id
        ],
    )
    return Response(out, status_code=201)
