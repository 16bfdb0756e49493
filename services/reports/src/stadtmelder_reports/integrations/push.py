"""Web Push for the web page: the VAPID public key, and which browser subscriptions we accept.

The subscription goes to notify in an event on the report's outbox; only notify keeps it.
"""

import ipaddress
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from cryptography.hazmat.primitives.asymmetric import ec

from stadtmelder_shared.vapid import b64url_decode, ensure_development_key, public_key_text

P256_POINT_BYTES = 65
AUTH_SECRET_BYTES = 16


@dataclass(frozen=True)
class PushSettings:
    public_key: str
    # Plain http push services only in a local deployment (tests run their own).
    allow_plain_http: bool


def push_settings(public_key: str | None, key_file: Path, local: bool) -> PushSettings:
    """The configured public key; locally the development key's, created if need be."""
    if public_key is None:
        if not local:
            raise ValueError(
                "REPORTS_VAPID_PUBLIC_KEY must be set to the public half of notify's "
                "NOTIFY_VAPID_PRIVATE_KEY when the public base URL is not local"
            )
        public_key = public_key_text(ensure_development_key(key_file))
    return PushSettings(public_key, allow_plain_http=local)


def subscription_problems(
    endpoint: str, p256dh: str, auth: str, allow_plain_http: bool
) -> list[dict[str, str]]:
    """What is wrong with a browser's subscription, as field problems; empty if nothing."""
    problems: list[dict[str, str]] = []
    parts = urlsplit(endpoint)
    schemes = ("https", "http") if allow_plain_http else ("https",)
    if parts.scheme not in schemes or not parts.hostname:
        problems.append(
            {"key": "subscription.endpoint", "message": "Give the push service's https:// URL."}
        )
    elif not allow_plain_http and not _public_host(parts.hostname):
        # Notify POSTs to this address: it must not be able to reach the city's own network.
        problems.append(
            {"key": "subscription.endpoint", "message": "This is not a push service's address."}
        )
    try:
        point = b64url_decode(p256dh)
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
        valid_key = len(point) == P256_POINT_BYTES
    except ValueError:
        valid_key = False
    if not valid_key:
        problems.append(
            {"key": "subscription.keys.p256dh", "message": "Not a P-256 public key in base64url."}
        )
    try:
        valid_auth = len(b64url_decode(auth)) == AUTH_SECRET_BYTES
    except ValueError:
        valid_auth = False
    if not valid_auth:
        problems.append(
            {"key": "subscription.keys.auth", "message": "Not a 16-byte secret in base64url."}
        )
    return problems


def _public_host(host: str) -> bool:
    """A name under a public domain, not an address or a name of the local network."""
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return "." in host and not host.endswith((".local", ".internal", ".localhost"))
    return False
