"""Apps register a webhook where notify tells them each step of the reports they submitted.

An app signs in with its API key (`X-Api-Key`) and gets the signing secret once, when it
registers; the secret is derived from `NOTIFY_LINK_SECRET`, the client id and a version that
every registration raises, so it is stored nowhere and registering again replaces it.
"""

from dataclasses import dataclass
from typing import Annotated, Any, Protocol
from urllib.parse import urlsplit

from litestar import Controller, delete, get, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import HeaderParameter, JSONBody
from pydantic import BaseModel, Field
from pymongo import ReturnDocument
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.api_keys import ApiClient, ApiKeyStore
from stadtmelder_reports.declared_responses import declared
from stadtmelder_reports.errors import NotAllowed
from stadtmelder_shared.events import AppWebhook
from stadtmelder_shared.webhook_signatures import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    app_webhook_secret,
)

Document = dict[str, Any]
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_URL_LENGTH = 2048
URL_REFUSED = (
    "The webhook was not accepted: `errors` says why. Beyond this schema `url` must be an "
    "absolute https:// URL without user name or password."
)


class AppWebhookStore(Protocol):
    async def webhook_of(self, client_id: str) -> AppWebhook | None: ...

    async def register(self, client_id: str, url: str) -> AppWebhook:
        """Set the app's webhook with a new secret version."""
        ...

    async def remove(self, client_id: str) -> bool: ...


class MongoAppWebhookStore:
    """The webhook lives on the app's API client document."""

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._clients = database["api_clients"]

    async def webhook_of(self, client_id: str) -> AppWebhook | None:
        document = await self._clients.find_one({"_id": client_id})
        return _webhook(client_id, document)

    async def register(self, client_id: str, url: str) -> AppWebhook:
        document = await self._clients.find_one_and_update(
            {"_id": client_id},
            {"$set": {"webhook_url": url}, "$inc": {"webhook_version": 1}},
            return_document=ReturnDocument.AFTER,
        )
        webhook = _webhook(client_id, document)
        if webhook is None:
            raise NotAllowed("This API client no longer exists.")
        return webhook

    async def remove(self, client_id: str) -> bool:
        result = await self._clients.update_one(
            {"_id": client_id, "webhook_url": {"$exists": True}},
            {"$unset": {"webhook_url": ""}},
        )
        return result.modified_count == 1


def _webhook(client_id: str, document: Document | None) -> AppWebhook | None:
    if document is None or document.get("revoked") or not document.get("webhook_url"):
        return None
    return AppWebhook(
        client_id=client_id,
        url=document["webhook_url"],
        secret_version=int(document.get("webhook_version", 1)),
    )


def url_problem(url: str, allow_plain_http: bool) -> str | None:
    """Why `url` cannot be a webhook, or None; plain http only in a local deployment."""
    if len(url) > MAX_URL_LENGTH:
        return f"The URL is longer than {MAX_URL_LENGTH} characters."
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        return "Give an absolute https:// URL."
    if parts.username or parts.password:
        return "Put no user name or password into the URL; the signature authenticates us."
    if parts.scheme == "http" and not allow_plain_http:
        return "Use https://: messages about people's reports travel only encrypted."
    return None


@dataclass(frozen=True)
class AppWebhooks:
    """What the routes need: the API keys, the webhooks and the secret to derive from."""

    api_keys: ApiKeyStore
    store: AppWebhookStore
    master_secret: bytes
    allow_plain_http: bool

    async def client(self, api_key: str | None) -> ApiClient:
        client = await self.api_keys.authenticate(api_key or "")
        if client is None:
            raise NotAllowed("X-Api-Key: missing or not valid; ask the operators for a key.")
        return client

    def secret(self, webhook: AppWebhook) -> str:
        return app_webhook_secret(self.master_secret, webhook.client_id, webhook.secret_version)


def local_deployment(public_base_url: str) -> bool:
    return (urlsplit(public_base_url).hostname or "") in LOCAL_HOSTS


# --- HTTP -----------------------------------------------------------------------------------


class WebhookIn(BaseModel):
    url: str = Field(description="Where to POST the messages: an https:// URL of the app.")


class WebhookOut(BaseModel):
    url: str
    secret_version: int
    signature_header: str = SIGNATURE_HEADER
    timestamp_header: str = TIMESTAMP_HEADER
    event_id_header: str = EVENT_ID_HEADER


class RegisteredWebhookOut(WebhookOut):
    secret: str = Field(
        description="Shown only now: the HMAC-SHA256 key of `sha256=<hex>` over "
        "`<timestamp>.<body>`. Registering again gives a new one."
    )


def provide_app_webhooks(state: State) -> AppWebhooks:
    webhooks: AppWebhooks = state.app_webhooks
    return webhooks


Webhooks = NamedDependency[AppWebhooks]
ApiKeyHeader = Annotated[str | None, HeaderParameter(name="X-Api-Key", required=False)]


class AppWebhookController(Controller):
    """Apps hear about the steps of the reports they submitted, on their own webhook."""

    path = "/api/v1/apps/webhook"
    tags = ["apps"]  # noqa: RUF012 - Litestar's own attribute
    dependencies = {"webhooks": Provide(provide_app_webhooks, sync_to_thread=False)}  # noqa: RUF012

    @put("/", responses=declared(400, 403, 413, 503, why={400: URL_REFUSED}))
    async def register(
        self, data: JSONBody[WebhookIn], webhooks: Webhooks, api_key: ApiKeyHeader = None
    ) -> RegisteredWebhookOut:
        """Set (or replace) the app's webhook; the answer holds its new signing secret."""
        client = await webhooks.client(api_key)
        url = data.url.strip()
        problem = url_problem(url, webhooks.allow_plain_http)
        if problem is not None:
            raise ValidationException(
                detail=f"url: {problem}", extra=[{"key": "url", "message": problem}]
            )
        webhook = await webhooks.store.register(client.id, url)
        return RegisteredWebhookOut(
            url=webhook.url, secret_version=webhook.secret_version, secret=webhooks.secret(webhook)
        )

    @get("/", responses=declared(400, 403, 404, 503))
    async def show(self, webhooks: Webhooks, api_key: ApiKeyHeader = None) -> WebhookOut:
        """The app's webhook, without its secret; 404 if it has none."""
        client = await webhooks.client(api_key)
        webhook = await webhooks.store.webhook_of(client.id)
        if webhook is None:
            raise NotFoundException(detail="This app has no webhook; register one with PUT.")
        return WebhookOut(url=webhook.url, secret_version=webhook.secret_version)

    @delete("/", responses=declared(400, 403, 503))
    async def remove(self, webhooks: Webhooks, api_key: ApiKeyHeader = None) -> None:
        """Stop the messages for reports submitted from now on."""
        client = await webhooks.client(api_key)
        await webhooks.store.remove(client.id)
