"""How the composition root adds the integrations: their routes and what they need at run time."""

from typing import Any

from litestar.datastructures import State
from litestar.types import ControllerRouterHandler
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_reports.integrations.api_keys import MongoApiKeyStore
from stadtmelder_reports.integrations.push import PushSettings
from stadtmelder_reports.integrations.push_api import PushController
from stadtmelder_reports.integrations.webhook_store import MongoAppWebhookStore
from stadtmelder_reports.integrations.webhooks import AppWebhooks
from stadtmelder_reports.integrations.webhooks_api import AppWebhookController

ROUTE_HANDLERS: tuple[ControllerRouterHandler, ...] = (AppWebhookController, PushController)


def register(
    state: State,
    database: AsyncDatabase[dict[str, Any]],
    link_secret: bytes,
    push: PushSettings,
    local: bool,
) -> None:
    """The API keys (also read by Open311 and the submission guard), the app webhooks signed
    under `link_secret`, and the push settings; plain http hooks only when `local`."""
    state.api_keys = MongoApiKeyStore(database)
    state.app_webhooks = AppWebhooks(
        state.api_keys, MongoAppWebhookStore(database), link_secret, allow_plain_http=local
    )
    state.push_settings = push
