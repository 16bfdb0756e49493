"""Sends messages to the webhooks of apps, signed like the departments' webhooks.

Each request carries the message id in `X-Stadtmelder-Event-Id`, so an app that receives a
message twice (a lost answer, a retry) can tell; the signature covers `<timestamp>.<body>`
with the app's secret, which is derived from `NOTIFY_LINK_SECRET` and never stored.
"""

import time
from collections.abc import Callable

import httpx

from stadtmelder_notify.delivery.domain import MESSAGE_TYPE, ChannelRefused, WebhookCall
from stadtmelder_shared.webhook_signatures import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    app_webhook_secret,
    signature,
)

USER_AGENT = "Stadtmelder-Webhook/1"


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
        timestamp = str(int(self._clock()))
        secret = app_webhook_secret(self._master, call.client_id, call.secret_version)
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            EVENT_ID_HEADER: call.notification_id,
            EVENT_TYPE_HEADER: MESSAGE_TYPE,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(secret, timestamp, body),
        }
        # Redirects are not followed: a signed message goes only where the app registered.
        response = await self._client.post(
            call.url, content=body, headers=headers, timeout=self._timeout_s
        )
        if not response.is_success:
            raise ChannelRefused("webhook", response.status_code)
