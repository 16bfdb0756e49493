"""`/api/v1/push`: the VAPID public key, and registering a browser's subscription for a report
with the reporter's private tracking token (and removing it again)."""

from typing import Literal

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.params import JSONBody
from pydantic import BaseModel, Field

from stadtmelder_reports.http.declared_responses import BY_KEY, declared
from stadtmelder_reports.http.requests import Choices
from stadtmelder_reports.integrations.push import PushSettings, subscription_problems
from stadtmelder_shared.event_values import PushSubscription

MAX_ENDPOINT_LENGTH = 2048
SUBSCRIPTION_REFUSED = (
    "The subscription was not accepted: `errors` names each field to fix. Beyond this schema "
    "`endpoint` must be a push service's https:// URL under a public domain, `keys.p256dh` a "
    "P-256 public key and `keys.auth` a 16-byte secret, both in base64url."
)


class SubscriptionKeys(BaseModel):
    p256dh: str = Field(max_length=200, description="base64url of the browser's P-256 key.")
    auth: str = Field(max_length=100, description="base64url of its 16-byte auth secret.")


class SubscriptionIn(BaseModel):
    """`PushSubscription.toJSON()` as the browser gives it."""

    endpoint: str = Field(max_length=MAX_ENDPOINT_LENGTH)
    keys: SubscriptionKeys
    expirationTime: float | None = None  # noqa: N815 - the browser's own field name


class SubscribeIn(BaseModel):
    tracking_token: str = Field(max_length=200)
    subscription: SubscriptionIn
    language: Literal["de", "en", "tr"] = "de"


class UnsubscribeIn(BaseModel):
    tracking_token: str = Field(max_length=200)
    endpoint: str = Field(max_length=MAX_ENDPOINT_LENGTH)


class SubscriptionOut(BaseModel):
    report_id: str
    subscribed: bool


class PublicKeyOut(BaseModel):
    public_key: str = Field(description="The `applicationServerKey` for pushManager.subscribe.")


def provide_push_settings(state: State) -> PushSettings:
    settings: PushSettings = state.push_settings
    return settings


Push = NamedDependency[PushSettings]


class PushController(Controller):
    """Browsers ask for a push message at each step of a report they follow."""

    path = "/api/v1/push"
    tags = ["web push"]  # noqa: RUF012 - Litestar's own attribute
    dependencies = {"push": Provide(provide_push_settings, sync_to_thread=False)}  # noqa: RUF012

    @get("/public-key")
    async def public_key(self, push: Push) -> PublicKeyOut:
        return PublicKeyOut(public_key=push.public_key)

    @post(
        "/subscriptions",
        status_code=201,
        responses=declared(*BY_KEY, 413, why={400: SUBSCRIPTION_REFUSED}),
    )
    async def subscribe(
        self, data: JSONBody[SubscribeIn], push: Push, choices: Choices
    ) -> SubscriptionOut:
        """Messages about the report of `tracking_token` go to this browser from now on."""
        keys = data.subscription.keys
        problems = subscription_problems(
            data.subscription.endpoint, keys.p256dh, keys.auth, push.allow_plain_http
        )
        if problems:
            summary = "; ".join(f"{p['key']}: {p['message']}" for p in problems)
            raise ValidationException(detail=summary, extra=problems)
        subscription = PushSubscription(
            endpoint=data.subscription.endpoint, p256dh=keys.p256dh, auth=keys.auth
        )
        report_id = await choices.change_push_subscription(
            data.tracking_token, subscription, subscribed=True, language=data.language
        )
        return SubscriptionOut(report_id=report_id, subscribed=True)

    @post("/subscriptions/remove", status_code=200, responses=declared(*BY_KEY, 413))
    async def unsubscribe(self, data: JSONBody[UnsubscribeIn], choices: Choices) -> SubscriptionOut:
        """No more messages to this browser about the report of `tracking_token`."""
        subscription = PushSubscription(endpoint=data.endpoint, p256dh="", auth="")
        report_id = await choices.change_push_subscription(
            data.tracking_token, subscription, subscribed=False
        )
        return SubscriptionOut(report_id=report_id, subscribed=False)
