"""The VAPID key pair (RFC 8292) that signs Web Push messages: from configuration, or a local
development key created under var/ on first use."""

import base64
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from stadtmelder_shared.key_files import ensure_p256_key_pem


def b64url(data: bytes) -> str:
    """Unpadded base64url, the encoding Web Push uses for keys."""
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def private_key_from(text: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key given as PEM or as the base64url of its 32-byte secret number."""
    stripped = text.strip()
    if stripped.startswith("-----BEGIN"):
        key = serialization.load_pem_private_key(stripped.encode(), password=None)
        if not isinstance(key, ec.EllipticCurvePrivateKey) or key.curve.name != "secp256r1":
            raise ValueError("the VAPID private key must be an EC key on P-256")
        return key
    number = b64url_decode(stripped)
    if len(number) != 32:
        raise ValueError("the VAPID private key must be 32 bytes in base64url, or PEM")
    return ec.derive_private_key(int.from_bytes(number, "big"), ec.SECP256R1())


def ensure_development_key(path: Path) -> ec.EllipticCurvePrivateKey:
    """The key at `path`, created first if there is none yet (only the owner reads it)."""
    return private_key_from(ensure_p256_key_pem(path).decode())


def public_key_text(key: ec.EllipticCurvePrivateKey | ec.EllipticCurvePublicKey) -> str:
    """The public key as pages pass it to `pushManager.subscribe` (`applicationServerKey`)."""
    public = key.public_key() if isinstance(key, ec.EllipticCurvePrivateKey) else key
    return b64url(
        public.public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
        )
    )
