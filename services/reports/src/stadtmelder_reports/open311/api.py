"""The Open311 GeoReport v2 endpoint under /open311/v2: discovery, services, requests, updates."""

from dataclasses import dataclass
from datetime import UTC, datetime

from litestar import Controller, Response, get, post, route
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency, Provide
from litestar.enums import HttpMethod
from litestar.params import FromPath, FromQuery, SkipValidation

from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.categories import localized
from stadtmelder_reports.errors import ReportStopped
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import AnyRequest, ApiSettings, Service
from stadtmelder_reports.integrations.api_keys import ApiKeyStore
from stadtmelder_reports.open311 import schemas
from stadtmelder_reports.open311.errors import (
    bad_request,
    forbidden,
    not_found,
    open311_exception_handlers,
)
from stadtmelder_reports.open311.params import (
    check_jurisdiction,
    language,
    parse_filters,
    parse_new_request,
    parse_window,
    split_format,
)
from stadtmelder_reports.open311.queries import MAX_UPDATES, changed_between, find_page
from stadtmelder_reports.open311.responses import format_of, open311_response
from stadtmelder_reports.open311.texts import service_notice
from stadtmelder_reports.photos.uploads import PhotoCleaning, clean_photos
from stadtmelder_shared.event_values import Language

Links = NamedDependency[ApiSettings]
# A Protocol cannot be checked at run time; the app provides the store.
ApiKeys = NamedDependency[SkipValidation[ApiKeyStore]]
Limiter = NamedDependency[SubmissionLimiter]
Reply = Response[bytes]


@dataclass(frozen=True)
class Asked:
    """What the resources that answer about our services and requests read from their query:
    our jurisdiction, once an optional `jurisdiction_id` is checked to name it, and the answer's
    language from `locale` or our extension `lang`."""

    jurisdiction: Jurisdiction
    language: Language


def _asked(
    service: Service,
    jurisdiction_id: FromQuery[str | None] = None,
    locale: FromQuery[str | None] = None,
    lang: FromQuery[str | None] = None,
) -> Asked:
    check_jurisdiction(jurisdiction_id, service.jurisdiction)
    return Asked(service.jurisdiction, language(locale, lang))


Asking = NamedDependency[Asked]


def _both(resource: str) -> list[str]:
    return [f"/{resource}.json", f"/{resource}.xml"]


class Open311Controller(Controller):
    """GeoReport v2 as the spec writes it, in JSON and XML; every error in its `errors` shape."""

    path = "/open311/v2"
    tags = ["open311"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    # The GeoReport v2 specification documents these routes; our OpenAPI document would only
    # describe their bodies as untyped strings, in one format.
    include_in_schema = False
    exception_handlers = open311_exception_handlers()
    dependencies = {  # noqa: RUF012 (Litestar reads it as a class attribute)
        "asked": Provide(_asked, sync_to_thread=False),
    }

    @get(_both("discovery"))
    async def discovery(self, request: AnyRequest, service: Service, links: Links) -> Reply:
        content = schemas.discovery(service.jurisdiction, links.base_url)
        return open311_response(content, format_of(request.url.path), "discovery")

    @get(_both("services"))
    async def list_services(self, request: AnyRequest, asked: Asking) -> Reply:
        categories = asked.jurisdiction.categories
        content = [schemas.service(c, asked.jurisdiction, asked.language) for c in categories]
        return open311_response(content, format_of(request.url.path), "services")

    @get("/services/{service_file:str}")
    async def service_definition(self, service_file: FromPath[str], asked: Asking) -> Reply:
        """`services/{service_code}.json` or `.xml`: the attributes (our questions) of a service."""
        service_code, format = split_format(service_file)
        category = asked.jurisdiction.category(service_code)
        if category is None:
            raise not_found(f"service_code: {service_code!r} is unknown; see services.{format}.")
        content = schemas.service_definition(category, asked.language)
        return open311_response(content, format, "service_definition")

    @post(_both("requests"), status_code=200)
    async def create_request(
        self,
        request: AnyRequest,
        service: Service,
        links: Links,
        api_keys: ApiKeys,
        limiter: Limiter,
        photo_workers: PhotoCleaning,
        api_key: FromQuery[str | None] = None,
    ) -> Reply:
        """A new report, form-encoded or multipart with photos as `media` file parts.

        The form is read whole rather than as a model: Open311 names each answer in its field
        name (`attribute[code]`, `attribute[code][]`). `media_url` is never fetched, so the
        server cannot be made to request arbitrary addresses.
        """
        form = await request.form()
        texts = [(k, v) for k, v in form.multi_items() if isinstance(v, str)]
        first = dict(reversed(texts))
        query = request.query_params
        check_jurisdiction(
            first.get("jurisdiction_id") or query.get("jurisdiction_id"), service.jurisdiction
        )
        # GeoReport v2 sends api_key as a POST field; a key in the query (an extension) wins, as
        # the guard that checks it before the body is read must decide as this does.
        client = await api_keys.authenticate(api_key or first.get("api_key") or "")
        if client is None:
            raise forbidden("api_key: missing or not valid; ask the operators for a key.")
        await limiter.check(f"api:{client.id}", client.submissions_per_minute)
        chosen = language(first.get("locale"), query.get("locale"), query.get("lang"))
        new = parse_new_request(texts)
        if service.jurisdiction.category(new.service_code) is None:
            raise bad_request(
                f"service_code: {new.service_code!r} is unknown; services.json lists the codes."
            )
        uploads = [v for k, v in form.multi_items() if k == "media" and isinstance(v, UploadFile)]
        photos = await clean_photos(uploads, links.max_photo_bytes, photo_workers)
        submission = new.submission(chosen, client_id=client.id)
        try:
            created = await service.submit_report(submission, photos)
        except ReportStopped as stopped:
            raise bad_request(localized(stopped.advice, chosen)) from None
        notice = service_notice(chosen, new.media_url_given)
        content = [schemas.created_request(created.report.id, created.tracking_token, notice)]
        return open311_response(content, format_of(request.url.path), "service_requests")

    @get(_both("requests"))
    async def list_requests(
        self,
        request: AnyRequest,
        service: Service,
        links: Links,
        asked: Asking,
    ) -> Reply:
        """Newest first; at most 90 days and 1000 requests a page.

        Beyond the spec: `page` and `page_size` (up to 1000), `bbox`
        (min_lon,min_lat,max_lon,max_lat), and `extensions=true` for the status history,
        supporter count and all photos in `extended_attributes`.
        """
        filters = parse_filters(asked.jurisdiction, datetime.now(UTC), request.query_params)
        reports = await find_page(service, filters)
        content = [
            schemas.service_request(r, asked.language, links.base_url, filters.extensions)
            for r in reports
        ]
        return open311_response(content, format_of(request.url.path), "service_requests")

    @get("/requests/{request_file:str}")
    async def show_request(
        self,
        service: Service,
        links: Links,
        request_file: FromPath[str],
        asked: Asking,
        extensions: FromQuery[str | None] = None,
    ) -> Reply:
        """`requests/{service_request_id}.json` or `.xml`: a list of one request."""
        report_id, format = split_format(request_file)
        report = await service.public_report(report_id)
        with_extensions = (extensions or "").lower() in ("true", "1", "yes")
        content = [schemas.service_request(report, asked.language, links.base_url, with_extensions)]
        return open311_response(content, format, "service_requests")

    @get("/tokens/{token_file:str}")
    async def request_id_from_token(
        self, service: Service, token_file: FromPath[str], asked: Asking
    ) -> Reply:
        """`tokens/{token}.json` or `.xml`: the service_request_id a POST's token stands for.

        The answer has no text in a language: `asked` is taken for its jurisdiction check.
        """
        token, format = split_format(token_file)
        report = await service.tracked_report(token)
        return open311_response(
            [schemas.token_request(report.id, token)], format, "service_requests"
        )

    @get(_both("servicerequestupdates"))
    async def request_updates(
        self,
        request: AnyRequest,
        service: Service,
        links: Links,
        asked: Asking,
        start_date: FromQuery[str | None] = None,
        end_date: FromQuery[str | None] = None,
    ) -> Reply:
        """FixMyStreet's feed of status changes between two times, oldest first, up to 1000."""
        start, end = parse_window(start_date, end_date, datetime.now(UTC))
        updates = [
            update
            for report in await changed_between(service, start, end)
            for update in schemas.request_updates(
                report, asked.language, links.base_url, start, end
            )
        ]
        # w3c_datetime writes UTC at a fixed width, so text order is time order.
        updates.sort(key=lambda update: str(update["updated_datetime"]))
        return open311_response(
            updates[:MAX_UPDATES], format_of(request.url.path), "service_request_updates"
        )

    @route(
        "/{resource:path}",
        http_method=[HttpMethod.GET, HttpMethod.POST],
        include_in_schema=False,
    )
    async def unknown_resource(self, request: AnyRequest) -> Reply:
        raise not_found(
            f"{request.url.path}: no such Open311 resource; discovery.json lists the endpoint, "
            "and every resource ends in .json or .xml."
        )
