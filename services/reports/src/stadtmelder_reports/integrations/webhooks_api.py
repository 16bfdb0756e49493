"""`/api/v1/apps/webhook`: an app sets, reads and removes its webhook with its API key."""

from typing import Annotated

from litestar import Controller, delete, get, put
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.exceptions import NotFoundException, ValidationException
from litestar.params import HeaderParameter, JSONBody
from pydantic import BaseModel, Field

from stadtmelder_reports.http.declared_responses import declared
from stadtmelder_reports.integrations.webhooks import AppWebhooks, url_problem
from stadtmelder_shared.webhook_signatures import (
    EVENT_ID_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
)

URL_REFUSED = (
    "The webhook was not accepted: `errors` says why. Beyond this schema `url` must be an "
    "absolute https:// URL without user name or password."
)


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
