"""Sends messages to the webhooks of apps, signed like the departments' webhooks.

Each request carries the message id in `X-Stadtmelder-Event-Id`, so an app that receives a
message twice (a lost answer, a retry) can tell; the signature covers `<timestamp>.<body>`
with the app's secret, which is derived from `NOTIFY_LINK_SECRET` and never stored.
"""

import time
from collections.abc import Callable

import httpx

from stadtmelder_notify.delivery.domain import MESSAGE_TYPE, ChannelRefused, WebhookCall
from stadtmelder_shared.webhook_signatures import app_webhook_secret, signed_headers


class AppWebhookSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        master_secret: bytes,
        timeout_s: float = 10.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._master = master_secret
        self._timeout_s = timeout_s
        self._clock = clock

    async def send(self, call: WebhookCall) -> None:
        """Raises ChannelRefused for any answer but 2xx; transport errors as httpx raises them."""
        body = call.body.encode()
        secret = app_webhook_secret(self._master, call.client_id, call.secret_version)
        headers = signed_headers(secret, body, call.notification_id, MESSAGE_TYPE, self._clock())
        # Redirects are not followed: a signed message goes only where the app registered.
        response = await self._client.post(
            call.url, content=body, headers=headers, timeout=self._timeout_s
        )
        if not response.is_success:
            raise ChannelRefused("webhook", response.status_code)
