"""Citizens' pages for one report: choosing a category, the form, the confirmation and the
status page behind the private tracking link, with the feedback form once resolved."""

import hashlib
from dataclasses import replace
from typing import Any

from litestar import Controller, Response, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from litestar.status_codes import HTTP_413_REQUEST_ENTITY_TOO_LARGE
from litestar.types import ExceptionHandlersMap

from stadtmelder_reports.citizen_links.domain import (
    FeedbackAlreadyGiven,
    FeedbackAnswer,
    FeedbackNotAsked,
    given_feedback,
)
from stadtmelder_reports.citizen_links.service import record_answer
from stadtmelder_reports.core.catalogue import Jurisdiction
from stadtmelder_reports.core.categories import localized
from stadtmelder_reports.core.domain import FEEDBACK_OUTCOMES, Report
from stadtmelder_reports.core.service import PossibleDuplicates, ReportService
from stadtmelder_reports.errors import (
    FieldProblem,
    InvalidReport,
    ReportNotFound,
    ReportStopped,
    TooManySubmissions,
    TrackingTokenUnknown,
)
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import AnyRequest, Choices, Links, Service, client_address
from stadtmelder_reports.http.schemas import NearbyReportOut, category_out, public_view
from stadtmelder_reports.photos.cleaning import PhotoError
from stadtmelder_reports.photos.uploads import PhotoCleaning, clean_photos
from stadtmelder_reports.privacy.domain import DataHeld
from stadtmelder_reports.privacy.service import Privacy
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.web.forms import (
    ReadForm,
    every_problem,
    read_report_form,
    submission_of,
)
from stadtmelder_reports.web.geocoding import Geocoder, find_places
from stadtmelder_reports.web.photo_refusals import (
    chosen_photos,
    is_about_photos,
    refused_before_cleaning,
    refused_by_cleaner,
)
from stadtmelder_reports.web.rendering import choose_language, page, see_other
from stadtmelder_reports.web.report_form_page import (
    form_page,
    on_too_large,
    search_message,
    stopped_page,
)
from stadtmelder_reports.web.texts import Words
from stadtmelder_reports.web.views import map_points, readable_answers
from stadtmelder_shared.link_tokens import LinkHolder

# None when no geocoder is configured: the address stays free text.
AddressGeocoder = NamedDependency[Geocoder | None]


def reporter_recipient(report: Report) -> str:
    """The reporter as a feedback recipient: the key notify's mail links carry for the same
    address, so answering on the page or in the mail counts once; else one from the link."""
    email = report.reporter.email if report.reporter else None
    if email:
        return hashlib.sha256(f"{report.id}|{email.lower()}".encode()).hexdigest()
    return hashlib.sha256(f"tracking|{report.tracking_token_hash}".encode()).hexdigest()


def grouped_categories(jurisdiction: Jurisdiction, language: str) -> list[dict[str, Any]]:
    return [
        {
            "name": localized(group.names, language),
            "categories": [
                category_out(c, language) for c in jurisdiction.categories if c.group == group.code
            ],
        }
        for group in jurisdiction.groups
    ]


def status_page(
    request: AnyRequest,
    service: ReportService,
    report: Report,
    token: str,
    message: str | None = None,
    status_code: int = 200,
    held: DataHeld | None = None,
) -> Template:
    """`held`, when given, fills the section on what is stored about the reporter."""
    language = choose_language(request)
    given = given_feedback(report, reporter_recipient(report))
    # Only photos whose URLs answer: the page shows the reporter their stored data otherwise.
    view = public_view(replace(report, photos=report.public_photos), language, "")
    # Mail is promised only to a report that keeps an address to send it to.
    mail_expected = bool(report.reporter and report.reporter.email)
    return page(
        request,
        "status.html.j2",
        status_code=status_code,
        private=True,
        report=view,
        points=map_points([view], Words(language), link=False),
        answers=readable_answers(
            service.jurisdiction, report.category.code, report.answers, language
        ),
        token=token,
        new=request.query_params.get("new") == "1",
        mail_expected=mail_expected,
        feedback_open=report.status == "resolved" and given is None,
        given=given,
        outcomes=FEEDBACK_OUTCOMES,
        message=message,
        tracking_url=f"{request.base_url}track/{token}",
        contact_erased_at=report.contact_erased_at,
        moderation=report.moderation,
        held=held,
    )


def on_not_found(request: AnyRequest, _: Exception) -> Response[Any]:
    """An unknown tracking link or report: a page saying so, not the API's JSON."""
    return page(request, "not_found.html.j2", status_code=404, private=True)


class ReportPages(Controller):
    """Needs the dependencies `service`, `work`, `links` and `limiter` of the JSON API."""

    include_in_schema = False
    exception_handlers: ExceptionHandlersMap = {  # noqa: RUF012 (read by Litestar)
        TrackingTokenUnknown: on_not_found,
        ReportNotFound: on_not_found,
        HTTP_413_REQUEST_ENTITY_TOO_LARGE: on_too_large,
    }

    @get("/")
    async def home(self, request: AnyRequest, service: Service) -> Template:
        language = choose_language(request)
        return page(
            request,
            "home.html.j2",
            groups=grouped_categories(service.jurisdiction, language),
        )

    @get("/report")
    async def report_form(
        self,
        request: AnyRequest,
        service: Service,
        geocoder: AddressGeocoder,
        links: Links,
        category: FromQuery[str | None] = None,
    ) -> Template | Redirect:
        chosen = service.jurisdiction.category(category or "")
        if chosen is None:
            return see_other("/")
        return form_page(
            request, chosen, links.max_photo_bytes, address_search=geocoder is not None
        )

    @get("/places")
    async def places(
        self,
        request: AnyRequest,
        service: Service,
        geocoder: AddressGeocoder,
        q: FromQuery[str] = "",
    ) -> Response[dict[str, Any]]:
        """The address search for the form's script: places inside the city and a sentence."""
        t = Words(choose_language(request))
        if geocoder is None:
            body: dict[str, Any] = {
                "code": "address_search_off",
                "message": t("search_off"),
                "places": [],
            }
            return Response(body, status_code=404)
        if not q.strip():
            body = {"code": "query_missing", "message": t("search_empty"), "places": []}
            return Response(body, status_code=400)
        found = await find_places(geocoder, service.jurisdiction.boundary, q, t.language)
        places = [
            {"name": p.name, "lat": p.location.lat, "lon": p.location.lon} for p in found.places
        ]
        body = {"failed": found.failed, "message": search_message(found, t), "places": places}
        return Response(body, headers={"cache-control": "no-store"})

    @post("/report")
    async def submit(
        self,
        request: AnyRequest,
        service: Service,
        limiter: NamedDependency[SubmissionLimiter],
        links: Links,
        geocoder: AddressGeocoder,
        photo_workers: PhotoCleaning,
    ) -> Template | Redirect:
        form = await request.form()
        category = service.jurisdiction.category(str(form.get("category") or ""))
        if category is None:
            return see_other("/")
        language = choose_language(request)
        t = Words(language)
        read: ReadForm = read_report_form(form, category, language)
        uploads = chosen_photos(form.getall("photos", []))
        # Photos chosen before the advice to call, said by the way back from that page.
        photos_chosen = bool(uploads) or form.get("photos_chosen") == "1"

        def again(
            problems: list[FieldProblem] | None = None,
            photo_errors: list[str] | None = None,
            status_code: int = 400,
            **more: Any,
        ) -> Template:
            more.setdefault("address_search", geocoder is not None)
            return form_page(
                request,
                category,
                links.max_photo_bytes,
                read.values,
                problems,
                photo_errors=photo_errors,
                photos_again=photos_chosen,
                status_code=status_code,
                **more,
            )

        if form.get("action") == "back":
            # Back from the advice to call: the form as it was, nothing typed lost.
            return again(status_code=200)
        if form.get("action") == "search" and geocoder is not None:
            # "Search address" without JavaScript: the same form again, with places to choose.
            if not read.values.address:
                return again([FieldProblem("address", "search without an address")])
            places = await find_places(
                geocoder, service.jurisdiction.boundary, read.values.address, language
            )
            return again(status_code=200, search=places)
        submission = submission_of(read, category, language)
        # Counted and measured before anything is decoded, and said with the other problems.
        too_many_or_large = refused_before_cleaning(uploads, links.max_photo_bytes, t)
        if read.problems or too_many_or_large:
            try:
                problems = every_problem(
                    read.problems, submission, service.jurisdiction, bool(uploads)
                )
            except ReportStopped as stopped:
                return stopped_page(
                    request, category, stopped, language, read.values, photos_chosen
                )
            return again(problems, too_many_or_large)
        try:
            outcome = await service.submit_from_citizen(
                limiter,
                client_address(request),
                submission,
                # Only the citizen's explicit "mine is different" skips the check.
                check_duplicates=not read.values.says_different,
                photos=lambda: clean_photos(uploads, links.max_photo_bytes, photo_workers),
            )
        except TooManySubmissions as error:
            wait = t("too_many", seconds=error.retry_after_seconds)
            return again([FieldProblem("limit", wait)], status_code=429)
        except PhotoError as refused:
            return again(
                photo_errors=refused_by_cleaner(refused, uploads, links.max_photo_bytes, t)
            )
        except InvalidReport as invalid:
            if read.location is None:
                # The place the domain checked can only have come from a photo's position.
                read.values.place_source = "photo"
            others = [p for p in invalid.problems if not is_about_photos(p)]
            said = refused_by_cleaner(invalid, uploads, links.max_photo_bytes, t)
            return again(others, said)
        except ReportStopped as stopped:
            return stopped_page(request, category, stopped, language, read.values, photos_chosen)
        if isinstance(outcome, PossibleDuplicates):
            found = [
                NearbyReportOut(report=public_view(r, language, ""), distance_m=round(distance))
                for r, distance in outcome.nearby
            ]
            return again(status_code=200, duplicates=found)
        return see_other(f"/track/{outcome.tracking_token}?new=1")

    @get("/track/{token:str}")
    async def track(
        self, request: AnyRequest, service: Service, privacy: Privacy, token: FromPath[str]
    ) -> Template:
        held = await privacy.data_held(token)
        return status_page(request, service, held.report, token, held=held)

    @post("/track/{token:str}/feedback")
    async def feedback(
        self,
        request: AnyRequest,
        service: Service,
        choices: Choices,
        work: NamedDependency[WorkService],
        token: FromPath[str],
    ) -> Template | Redirect:
        report = await service.tracked_report(token)
        form = await request.form()
        outcome = form.get("outcome")
        t = Words(choose_language(request))
        if outcome not in FEEDBACK_OUTCOMES:
            return status_page(
                request, service, report, token, t("feedback_legend") + ": " + t("choose"), 400
            )
        rating_text = str(form.get("rating") or "")
        rating = int(rating_text) if rating_text in {"1", "2", "3", "4", "5"} else None
        comment = str(form.get("comment") or "").strip()[:2000] or None
        holder = LinkHolder(report.id, reporter_recipient(report))
        answer = FeedbackAnswer(outcome, rating, comment)
        try:
            await record_answer(service, choices, work, holder, answer)
        except (FeedbackAlreadyGiven, FeedbackNotAsked):
            return status_page(request, service, report, token, t("feedback_not_open"), 409)
        return see_other(f"/track/{token}?answered=1")
