"""Web Push for the web page: the VAPID public key, and registering a browser's subscription
for a report with the reporter's private tracking token (and removing it again).

The subscription goes to notify in an event on the report's outbox; only notify keeps it.
"""

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec
from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import ValidationException
from litestar.params import JSONBody
from pydantic import BaseModel, Field

from stadtmelder_reports.declared_responses import BY_KEY, declared
from stadtmelder_reports.service import ReportService
from stadtmelder_shared.events import PushSubscription
from stadtmelder_shared.vapid import (
    b64url_decode,
    ensure_development_key,
    public_key_text,
)

MAX_ENDPOINT_LENGTH = 2048
P256_POINT_BYTES = 65
AUTH_SECRET_BYTES = 16
SUBSCRIPTION_REFUSED = (
    "The subscription was not accepted: `errors` names each field to fix. Beyond this schema "
    "`endpoint` must be a push service's https:// URL under a public domain, `keys.p256dh` a "
    "P-256 public key and `keys.auth` a 16-byte secret, both in base64url."
)


@dataclass(frozen=True)
class PushSettings:
    public_key: str
    # Plain http push services only in a local deployment (tests run their own).
    allow_plain_http: bool


def push_settings(public_key: str | None, key_file: Path, local: bool) -> PushSettings:
    """The configured public key; locally the development key's, created if need be."""
    if public_key is None:
        if not local:
            raise ValueError(
                "REPORTS_VAPID_PUBLIC_KEY must be set to the public half of notify's "
                "NOTIFY_VAPID_PRIVATE_KEY when the public base URL is not local"
            )
        public_key = public_key_text(ensure_development_key(key_file))
    return PushSettings(public_key, allow_plain_http=local)


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


def subscription_problems(
    subscription: SubscriptionIn, allow_plain_http: bool
) -> list[dict[str, str]]:
    """What is wrong with a browser's subscription, as field problems; empty if nothing."""
    problems: list[dict[str, str]] = []
    parts = urlsplit(subscription.endpoint)
    schemes = ("https", "http") if allow_plain_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        problems.append(
            {"key": "subscription.endpoint", "message": "Give the push service's https:// URL."}
        )
    elif not allow_plain_http and not _public_host(parts.hostname):
        # Notify POSTs to this address: it must not be able to reach the city's own network.
        problems.append(
            {"key": "subscription.endpoint", "message": "This is not a push service's address."}
        )
    try:
        point = b64url_decode(subscription.keys.p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        valid_key = len(point) == P256_POINT_BYTES
    except ValueError:
        valid_key = False
    if not valid_key:
        problems.append(
            {"key": "subscription.keys.p256dh", "message": "Not a P-256 public key in base64url."}
        )
    try:
        valid_auth = len(b64url_decode(subscription.keys.auth)) == AUTH_SECRET_BYTES
    except ValueError:
        valid_auth = False
    if not valid_auth:
        problems.append(
            {"key": "subscription.keys.auth", "message": "Not a 16-byte secret in base64url."}
        )
    return problems


def _public_host(host: str) -> bool:
    """A name under a public domain, not an address or a name of the local network."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "." in host and not host.endswith((".local", ".internal", ".localhost"))
    return False


def provide_push_settings(state: State) -> PushSettings:
    settings: PushSettings = state.push_settings
    return settings


Push = NamedDependency[PushSettings]
Service = NamedDependency[ReportService]


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
        self, data: JSONBody[SubscribeIn], push: Push, service: Service
    ) -> SubscriptionOut:
        """Messages about the report of `tracking_token` go to this browser from now on."""
        problems = subscription_problems(data.subscription, push.allow_plain_http)
        if problems:
            summary = "; ".join(f"{p['key']}: {p['message']}" for p in problems)
            raise ValidationException(detail=summary, extra=problems)
        keys = data.subscription.keys
        subscription = PushSubscription(
            endpoint=data.subscription.endpoint, p256dh=keys.p256dh, auth=keys.auth
        )
        event = await service.change_push_subscription(
            data.tracking_token, subscription, subscribed=True, language=data.language
        )
        return SubscriptionOut(report_id=event.report_id, subscribed=True)

    @post("/subscriptions/remove", status_code=200, responses=declared(*BY_KEY, 413))
    async def unsubscribe(self, data: JSONBody[UnsubscribeIn], service: Service) -> SubscriptionOut:
        """No more messages to this browser about the report of `tracking_token`."""
        subscription = PushSubscription(endpoint=data.endpoint, p256dh="", auth="")
        event = await service.change_push_subscription(
            data.tracking_token, subscription, subscribed=False
        )
        return SubscriptionOut(report_id=event.report_id, subscribed=False)
