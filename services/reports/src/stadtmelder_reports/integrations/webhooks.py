"""Apps register a webhook where notify tells them each step of the reports they submitted.

An app signs in with its API key (`X-Api-Key`) and gets the signing secret once, when it
registers; the secret is derived from `NOTIFY_LINK_SECRET`, the client id and a version that
every registration raises, so it is stored nowhere and registering again replaces it.
"""

from dataclasses import dataclass
from urllib.parse import urlsplit

from stadtmelder_reports.errors import NotAllowed
from stadtmelder_reports.integrations.api_keys import ApiClient, ApiKeyStore
from stadtmelder_reports.integrations.webhook_store import AppWebhookStore
from stadtmelder_shared.event_values import AppWebhook
from stadtmelder_shared.webhook_signatures import app_webhook_secret

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MAX_URL_LENGTH = 2048


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
