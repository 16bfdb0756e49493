"""Sends messages to the webhooks of apps, signed like the departments' webhooks.

Each request carries the message id in `X-Stadtmelder-Event-Id`, so an app that receives a
message twice (a lost answer, a retry) can tell; the signature covers `<timestamp>.<body>`
with the app's secret, which is derived from `NOTIFY_LINK_SECRET` and never stored.
"""

import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx

from stadtmelder_notify.delivery.domain import MESSAGE_TYPE, ChannelRefused, WebhookCall
from stadtmelder_shared.webhook_signatures import app_webhook_secret, signed_headers


@dataclass(frozen=True)
class AppWebhookSender:
    client: httpx.AsyncClient
    master_secret: bytes
    timeout_s: float = 10.0
    clock: Callable[[], float] = time.time

    async def send(self, call: WebhookCall) -> None:
        """Raises ChannelRefused for any answer but 2xx; transport errors as httpx raises them."""
        body = call.body.encode()
        secret = app_webhook_secret(self.master_secret, call.client_id, call.secret_version)
        headers = signed_headers(secret, body, call.notification_id, MESSAGE_TYPE, self.clock())
        # Redirects are not followed: a signed message goes only where the app registered.
        response = await self.client.post(
            call.url, content=body, headers=headers, timeout=self.timeout_s
        )
        if not response.is_success:
            raise ChannelRefused("webhook", response.status_code)
