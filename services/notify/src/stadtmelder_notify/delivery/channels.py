"""The channels beside e-mail of one deployment: apps' webhooks and Web Push, and the HTTP client
they share."""

import logging
from dataclasses import dataclass

import httpx

from stadtmelder_notify.delivery.app_webhooks import AppWebhookSender
from stadtmelder_notify.delivery.web_push import WebPushSender
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_shared.vapid import ensure_development_key, private_key_from


@dataclass(frozen=True)
class Channels:
    webhooks: AppWebhookSender
    push: WebPushSender
    client: httpx.AsyncClient

    async def close(self) -> None:
        await self.client.aclose()


def create_channels(settings: NotifySettings) -> Channels:
    """Reads the VAPID key now, so a wrong one stops the service at its start."""
    if settings.vapid_private_key is not None:
        key = private_key_from(settings.vapid_private_key.get_secret_value())
    elif settings.is_local:
        key = ensure_development_key(settings.vapid_key_file)
    else:
        raise ValueError(
            "NOTIFY_VAPID_PRIVATE_KEY must be set (and REPORTS_VAPID_PUBLIC_KEY to its public "
            f"half) when the public base URL is not local ({settings.public_base_url})"
        )
    # No redirects, no proxies from the environment: messages go only where they were sent.
    client = httpx.AsyncClient(follow_redirects=False, trust_env=False)
    # httpx logs each request's URL at INFO; a push endpoint names a person's browser.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    timeout = settings.channel_timeout_seconds
    return Channels(
        webhooks=AppWebhookSender(
            client, settings.link_secret.get_secret_value().encode(), timeout_s=timeout
        ),
        push=WebPushSender(client, key, settings.vapid_subject, timeout_s=timeout),
        client=client,
    )
