"""HMAC signatures of Stadtmelder's webhooks, for departments and apps alike.

The signature covers `<timestamp>.<body>` with a shared secret, so a receiver can tell the
request came from Stadtmelder, is unchanged and is recent (see docs/contracts/).
"""

import base64
import hashlib
import hmac
import time

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


def signed_headers(
    secret: str | bytes, body: bytes, event_id: str, event_type: str, now: float
) -> dict[str, str]:
    """The headers of one webhook request carrying `body`, a JSON event, signed at `now`."""
    timestamp = str(int(now))
    return {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        EVENT_ID_HEADER: event_id,
        EVENT_TYPE_HEADER: event_type,
        TIMESTAMP_HEADER: timestamp,
        SIGNATURE_HEADER: signature(secret, timestamp, body),
    }


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


def app_webhook_secret(master: bytes, client_id: str, version: int) -> str:
    """The signing secret of one app's webhook, derived rather than stored.

    Reports shows it to the app once and notify signs with it, so it is never written to a
    database or an event; registering the webhook again raises `version` and so replaces it.
    """
    message = f"stadtmelder-app-webhook|v1|{client_id}|{version}".encode()
    mac = hmac.new(master, message, hashlib.sha256).digest()
    return "whsec_" + base64.urlsafe_b64encode(mac).decode().rstrip("=")
