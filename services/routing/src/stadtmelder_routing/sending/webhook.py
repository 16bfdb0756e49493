"""HMAC-signed webhooks: the work item POSTed as JSON to the department's own endpoint.

The signature covers `<timestamp>.<body>` with the department's shared secret, so a receiver
can tell the request came from Stadtmelder, is unchanged and is recent; receivers dedupe by
the event id header, because a work item may arrive more than once.
"""

from stadtmelder_routing.sending.methods import HttpSender, required
from stadtmelder_shared.departments import SendMethod
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.webhook_signatures import signed_headers
from stadtmelder_shared.webhook_signatures import (
    verify_signature as verify_signature,  # receivers and tests check signatures with it
)


class WebhookSender(HttpSender):
    receiver = "webhook"

    async def send(self, item: Event, method: SendMethod) -> str | None:
        """A work item, or any other event for the department (an erasure notice)."""
        url = required(method.url, "url", method)
        secret = self._secret(method)
        body = item.model_dump_json().encode()
        headers = signed_headers(secret, body, item.event_id, item.type, self.clock())
        await self._post(method, url, content=body, headers=headers)
        return None
