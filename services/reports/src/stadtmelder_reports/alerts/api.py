"""HTTP side of area alerts under /api/v1/alerts: subscribe, confirm and cancel by link."""

from dataclasses import dataclass
from typing import Any, Literal

from litestar import Controller, MediaType, Response, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromPath, FromQuery, JSONBody
from litestar.status_codes import (
    HTTP_202_ACCEPTED,
    HTTP_400_BAD_REQUEST,
    HTTP_404_NOT_FOUND,
    HTTP_409_CONFLICT,
)
from litestar.types import ExceptionHandlersMap
from pydantic import BaseModel, EmailStr, Field

from stadtmelder_reports.alerts.domain import (
    AlertLinkInvalid,
    AlertRequest,
    AlertWasCancelled,
    InvalidAlert,
    Subscription,
)
from stadtmelder_reports.alerts.pages import Message, Step, describe, message_page, step_page
from stadtmelder_reports.alerts.service import AlertService
from stadtmelder_reports.errors import WriteStillPending
from stadtmelder_reports.http.declared_responses import BY_KEY, EMAIL_REFUSED, declared
from stadtmelder_reports.http.errors import error_response
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import AnyRequest, client_address
from stadtmelder_reports.http.schemas import LanguageCode
from stadtmelder_reports.web.error_pages import for_browsers

Alerts = NamedDependency[AlertService]
ALERT_REFUSED = (
    "The alert was not accepted: `errors` names each field to fix. Beyond this schema an alert "
    "needs either a place (lat and lon together, optionally radius_m) or a district, not both "
    "and not neither; the place must lie inside the city, the district be one of GET "
    f"/api/v1/alerts/districts and the category one of GET /api/v1/categories. {EMAIL_REFUSED}"
)
CANCELLED = (
    "The alert was cancelled; it cannot be confirmed again (`confirm` links only). "
    "Request a new one."
)
STEP_PENDING = (
    "Your click was received and takes effect in a moment; this link then shows the alert as it is."
)
# The two links of every alert mail, and the page each shows before and after the click.
LinkAction = Literal["confirm", "cancel"]
QUESTION: dict[LinkAction, Step] = {"confirm": "confirm_question", "cancel": "cancel_question"}
DONE: dict[LinkAction, Step] = {"confirm": "confirmed", "cancel": "cancelled"}


@dataclass(frozen=True)
class OpenedLink:
    """A mailed link as its address names it: which of the two, its token, the page language."""

    action: LinkAction
    token: str
    lang: LanguageCode | None


def opened_link(
    action: FromPath[LinkAction], token: FromPath[str], lang: FromQuery[LanguageCode | None] = None
) -> OpenedLink:
    return OpenedLink(action, token, lang)


Link = NamedDependency[OpenedLink]
LINK_ANSWERS = declared(*BY_KEY, 409, why={409: CANCELLED})


# --- HTTP shapes --------------------------------------------------------------------------------


class AlertIn(BaseModel):
    """An area alert: a place with a radius, or a district; optionally only one category."""

    email: EmailStr = Field(description="Gets the confirmation link; never shown anywhere.")
    language: LanguageCode = "de"
    lat: float | None = Field(None, ge=-90, le=90, examples=[51.4325])
    lon: float | None = Field(None, ge=-180, le=180, examples=[6.7652])
    radius_m: float | None = Field(
        None, ge=50, le=5000, description="Around lat/lon; 500 m when not given."
    )
    district: str | None = Field(None, max_length=64, examples=["district-500"])
    category: str | None = Field(None, max_length=64, examples=["street_light_out"])
    frequency: Literal["immediately", "daily"] = "immediately"


class AlertAccepted(BaseModel):
    status: Literal["confirmation_sent"] = "confirmation_sent"
    detail: str = (
        "If the address can receive mail, a message with a confirmation link is on its way. "
        "Alerts start once the link is opened and confirmed."
    )


class DistrictOut(BaseModel):
    id: str
    name: str


class AlertOut(BaseModel):
    """What a link opens: the alert without the address it goes to."""

    status: Literal["requested", "confirmed", "cancelled"]
    lat: float | None
    lon: float | None
    radius_m: float | None
    district: DistrictOut | None
    category: str | None
    frequency: Literal["immediately", "daily"]
    text: str = Field(description="What the alert is, in the chosen language.")


def alert_out(subscription: Subscription, alerts: AlertService, language: str) -> AlertOut:
    area = subscription.area
    district = alerts.district(area.district) if area.district else None
    return AlertOut(
        status=subscription.status,
        lat=area.centre.lat if area.centre else None,
        lon=area.centre.lon if area.centre else None,
        radius_m=area.radius_m,
        district=DistrictOut(id=district.id, name=district.name) if district else None,
        category=subscription.category,
        frequency=subscription.frequency,
        text=describe(subscription, alerts, language),
    )


def wants_html(request: AnyRequest) -> bool:
    """Browsers get a page; apps and `*/*` get JSON."""
    best = request.accept.best_match([MediaType.JSON, MediaType.HTML], default=MediaType.JSON)
    return best == MediaType.HTML


def _answer(
    request: AnyRequest,
    alerts: AlertService,
    subscription: Subscription,
    step: Step,
    lang: str | None,
) -> Response[Any]:
    language = lang or subscription.language
    if not wants_html(request):
        return Response(alert_out(subscription, alerts, language), status_code=200)
    return step_page(request, subscription, alerts, step, language)


# --- errors -------------------------------------------------------------------------------------


def _error(
    request: AnyRequest, status: int, code: str, detail: str, message: Message
) -> Response[Any]:
    if wants_html(request):
        return message_page(request, message, status)
    return error_response(status, code, detail)


def on_invalid_alert(_: AnyRequest, exc: InvalidAlert) -> Response[Any]:
    errors = [{"field": p.field, "reason": p.reason} for p in exc.problems]
    summary = "; ".join(f"{e['field']}: {e['reason']}" for e in errors)
    return error_response(
        HTTP_400_BAD_REQUEST, "invalid_alert", f"The alert was not accepted: {summary}", errors
    )


def on_alert_link_invalid(request: AnyRequest, exc: AlertLinkInvalid) -> Response[Any]:
    return _error(request, HTTP_404_NOT_FOUND, "alert_link_invalid", str(exc), "link_invalid")


def on_alert_was_cancelled(request: AnyRequest, exc: AlertWasCancelled) -> Response[Any]:
    return _error(request, HTTP_409_CONFLICT, "alert_cancelled", str(exc), "was_cancelled")


def on_step_pending(request: AnyRequest, _: WriteStillPending) -> Response[Any]:
    """Sent to the subscription's owner, not applied yet (see `commands`): it will be, once, so
    the answer is 202 and where to see it, the link itself (opening it changes nothing)."""
    follow = request.url.path
    response = error_response(HTTP_202_ACCEPTED, "accepted", STEP_PENDING, follow=follow)
    response.headers["Location"] = follow
    return response


ALERT_EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    InvalidAlert: on_invalid_alert,
    AlertLinkInvalid: on_alert_link_invalid,
    AlertWasCancelled: on_alert_was_cancelled,
    WriteStillPending: for_browsers(on_step_pending),
}


# --- the controller -----------------------------------------------------------------------------


class AlertsController(Controller):
    """Needs the dependencies `alerts` (AlertService) and `limiter` (SubmissionLimiter)."""

    path = "/api/v1/alerts"
    tags = ["alerts"]  # noqa: RUF012 (Litestar reads it as a class attribute)
    exception_handlers = ALERT_EXCEPTION_HANDLERS
    dependencies = {"link": Provide(opened_link, sync_to_thread=False)}  # noqa: RUF012

    @post(
        "/",
        status_code=202,
        responses=declared(400, 413, 429, 503, why={400: ALERT_REFUSED}),
    )
    async def request_alert(
        self,
        request: AnyRequest,
        alerts: Alerts,
        limiter: NamedDependency[SubmissionLimiter],
        data: JSONBody[AlertIn],
    ) -> AlertAccepted:
        """Subscribe to new reports in an area. The answer is the same whether or not the
        address is subscribed already; alerts start after the mailed link is confirmed."""
        # Its own count per client, so subscribing does not use up the client's reports.
        await limiter.check(f"alerts:{client_address(request)}")
        await alerts.request_alert(
            AlertRequest(
                email=str(data.email),
                language=data.language,
                lat=data.lat,
                lon=data.lon,
                radius_m=data.radius_m,
                district=data.district,
                category=data.category,
                frequency=data.frequency,
            )
        )
        return AlertAccepted()

    @get("/districts")
    async def list_districts(self, alerts: Alerts) -> list[DistrictOut]:
        return [DistrictOut(id=d.id, name=d.name) for d in alerts.districts]

    @get("/{action:str}/{token:str}", media_type=MediaType.JSON, responses=LINK_ANSWERS)
    async def show_link(self, request: AnyRequest, alerts: Alerts, link: Link) -> Response[Any]:
        """What a mailed link (`confirm` or `cancel`) would do; changes nothing. A `confirm`
        link is refused here as confirming would be."""
        look = alerts.to_confirm if link.action == "confirm" else alerts.by_token
        return _answer(request, alerts, await look(link.token), QUESTION[link.action], link.lang)

    @post(
        "/{action:str}/{token:str}",
        status_code=200,
        media_type=MediaType.JSON,
        responses=LINK_ANSWERS,
    )
    async def follow_link(self, request: AnyRequest, alerts: Alerts, link: Link) -> Response[Any]:
        """Switch the alert on (`confirm`, the double opt-in; twice is fine) or stop it
        (`cancel`). `cancel` is also the RFC 8058 one-click target of the mails'
        List-Unsubscribe header: mail programs POST `List-Unsubscribe=One-Click` there, which
        needs no reading."""
        step = alerts.confirm if link.action == "confirm" else alerts.cancel
        return _answer(request, alerts, await step(link.token), DONE[link.action], link.lang)
