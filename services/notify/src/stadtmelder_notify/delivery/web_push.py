"""Sends Web Push messages: encrypted for the browser (RFC 8291, aes128gcm) and signed with
our VAPID key (RFC 8292), so only the subscribed browser can read them and the push service
knows who sends."""

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import cached_property
from urllib.parse import urlsplit

import http_ece
import httpx
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid02

from stadtmelder_notify.delivery.domain import ChannelRefused, PushMessage, RecipientGone
from stadtmelder_shared.vapid import b64url_decode

# How long a push service keeps a message for a browser that is offline.
DEFAULT_TTL_S = 24 * 3600
# The VAPID token's lifetime; RFC 8292 allows at most 24 hours.
TOKEN_LIFETIME_S = 12 * 3600


def origin_of(endpoint: str) -> str:
    """The audience of the VAPID token: the push service's scheme, host and port."""
    parts = urlsplit(endpoint)
    return f"{parts.scheme}://{parts.netloc}"


def encrypted(body: bytes, p256dh: str, auth: str) -> bytes:
    """`body` for the browser owning the key pair `p256dh` and secret `auth`."""
    sender_key = ec.generate_private_key(ec.SECP256R1())
    sealed: bytes = http_ece.encrypt(
        body,
        salt=os.urandom(16),
        private_key=sender_key,
        dh=b64url_decode(p256dh),
        auth_secret=b64url_decode(auth),
        version="aes128gcm",
    )
    return sealed


@dataclass(frozen=True)
class WebPushSender:
    client: httpx.AsyncClient
    vapid_key: ec.EllipticCurvePrivateKey
    subject: str
    ttl_s: int = DEFAULT_TTL_S
    timeout_s: float = 10.0
    clock: Callable[[], float] = time.time

    @cached_property
    def _vapid(self) -> Vapid02:
        return Vapid02(self.vapid_key)

    async def send(self, message: PushMessage) -> None:
        """Raises RecipientGone when the push service no longer knows the subscription
        (404, 410) and ChannelRefused for any other answer but 2xx."""
        claims = {
            "aud": origin_of(message.endpoint),
            "exp": int(self.clock()) + TOKEN_LIFETIME_S,
            "sub": self.subject,
        }
        headers: dict[str, str] = dict(self._vapid.sign(claims))
        headers.update(
            {
                "Content-Encoding": "aes128gcm",
                "Content-Type": "application/octet-stream",
                "TTL": str(self.ttl_s),
                "Urgency": "normal",
            }
        )
        body = encrypted(message.body.encode(), message.p256dh, message.auth)
        response = await self.client.post(
            message.endpoint, content=body, headers=headers, timeout=self.timeout_s
        )
        if response.status_code in (404, 410):
            raise RecipientGone("the push subscription has expired or was withdrawn")
        if not response.is_success:
            raise ChannelRefused("push service", response.status_code)
