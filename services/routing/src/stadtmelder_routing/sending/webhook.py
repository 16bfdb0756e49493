"""HMAC-signed webhooks: the work item POSTed as JSON to the department's own endpoint.

The signature covers `<timestamp>.<body>` with the department's shared secret, so a receiver
can tell the request came from Stadtmelder, is unchanged and is recent; receivers dedupe by
the event id header, because a work item may arrive more than once.
"""

import time
from collections.abc import Callable, Mapping

import httpx

from stadtmelder_routing.sending.methods import HttpSender, required
from stadtmelder_shared.departments import SendMethod
from stadtmelder_shared.events import Event
from stadtmelder_shared.webhook_signatures import (
    EVENT_ID_HEADER,
    EVENT_TYPE_HEADER,
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    signature,
)
from stadtmelder_shared.webhook_signatures import (
    verify_signature as verify_signature,  # receivers and tests check signatures with it
)

USER_AGENT = "Stadtmelder-Webhook/1"


class WebhookSender(HttpSender):
    receiver = "webhook"

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        timeout_s: float = 10.0,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(client, timeout_s=timeout_s, environ=environ)
        self._clock = clock

    async def send(self, item: Event, method: SendMethod) -> str | None:
        """A work item, or any other event for the department (an erasure notice)."""
        url = required(method.url, "url", method)
        secret = self._secret(method)
        body = item.model_dump_json().encode()
        timestamp = str(int(self._clock()))
        headers = {
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            EVENT_ID_HEADER: item.event_id,
            EVENT_TYPE_HEADER: item.type,
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: signature(secret, timestamp, body),
        }
        await self._post(method, url, content=body, headers=headers)
        return None
