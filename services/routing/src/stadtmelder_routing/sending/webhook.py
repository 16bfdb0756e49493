"""HMAC-signed webhooks: the work item POSTed as JSON to the department's own endpoint.

The signature covers `<timestamp>.<body>` with the department's shared secret, so a receiver
can tell the request came from Stadtmelder, is unchanged and is recent; receivers dedupe by
the event id header, because a work item may arrive more than once.
"""

import hashlib
import hmac
import os
import time
from collections.abc import Callable, Mapping

import httpx

from stadtmelder_routing.sending.methods import (
    PermanentSendError,
    check_delivery_status,
    required,
    secret_from_env,
    transport_failure,
)
from stadtmelder_shared.departments import SendMethod
from stadtmelder_shared.events import WorkItemQueued

EVENT_ID_HEADER = "X-Stadtmelder-Event-Id"
EVENT_TYPE_HEADER = "X-Stadtmelder-Event-Type"
TIMESTAMP_HEADER = "X-Stadtmelder-Timestamp"
SIGNATURE_HEADER = "X-Stadtmelder-Signature"
USER_AGENT = "Stadtmelder-Webhook/1"


def signature(secret: str | bytes, timestamp: str, body: bytes) -> str:
    """The `X-Stadtmelder-Signature` value: `sha256=` and the hex HMAC of `<timestamp>.<body>`."""
    key = secret.encode() if isinstance(secret, str) else secret
    digest = hmac.new(key, timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def verify_signature(
    secret: str | bytes,
    timestamp: str,
    body: bytes,
    header: str,
    tolerance_s: float = 300,
    now: float | None = None,
) -> bool:
    """True if `header` signs exactly this body and timestamp, sent at most `tolerance_s` ago
    (or ahead, for clock skew); the comparison takes the same time however much matches."""
    try:
        sent_at = int(timestamp)
    except ValueError:
        return False
    current = time.time() if now is None else now
    if abs(current - sent_at) > tolerance_s:
        return False
    expected = signature(secret, timestamp, body)
    return hmac.compare_digest(expected.encode(), header.encode())


class WebhookSender:
    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        timeout_s: float = 10.0,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._timeout_s = timeout_s
        self._environ = environ
        self._clock = clock

    async def send(self, item: WorkItemQueued, method: SendMethod) -> str | None:
        url = required(method.url, "url", method)
        secret = secret_from_env(method, os.environ if self._environ is None else self._environ)
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
        try:
            response = await self._client.post(
                url, content=body, headers=headers, timeout=self._timeout_s
            )
        except httpx.InvalidURL as error:
            raise PermanentSendError("webhook url is not a valid URL") from error
        except httpx.TransportError as error:
            raise transport_failure("webhook", error) from error
        check_delivery_status(response, "webhook")
        return None
