"""Contact fields sealed for the event log: AES-256-GCM under a per-subject data key, so that
destroying the key makes every copy in every topic unreadable at once (crypto-shredding)."""

import base64
import binascii
import json
import os
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import BaseModel, ConfigDict, Field

KEY_BYTES = 32
NONCE_BYTES = 12
# What a sealed field is for: bound into the ciphertext, so a sealed tracking token cannot be
# passed off as an e-mail address, nor one subject's field as another's.
Purpose = Literal[
    "reporter",
    "tracking_token",
    "supporter",
    "alert_email",
    "alert_confirm_token",
    "push_subscription",
]


class Sealed(BaseModel):
    """A contact field readable only with the data key `key_id` names."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    key_id: str = Field(description="Which data key opens it; erasure destroys that key.")
    ciphertext: str = Field(
        description="Base64 of the 12-byte nonce followed by the AES-256-GCM ciphertext and tag."
    )


class Unreadable(Exception):
    """The sealed value does not open with this key, id and purpose (or was altered)."""


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=KEY_BYTES * 8)


def seal(key: bytes, key_id: str, purpose: Purpose, plaintext: str) -> Sealed:
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _associated(key_id, purpose))
    return Sealed(key_id=key_id, ciphertext=base64.b64encode(nonce + sealed).decode("ascii"))


def open_sealed(key: bytes, sealed: Sealed, purpose: Purpose) -> str:
    """The plain text; raises `Unreadable` for a wrong key, key id or purpose, or any change."""
    try:
        raw = base64.b64decode(sealed.ciphertext, validate=True)
    except binascii.Error:
        raise Unreadable("not base64") from None
    if len(raw) <= NONCE_BYTES:
        raise Unreadable("too short")
    try:
        plain = AESGCM(key).decrypt(
            raw[:NONCE_BYTES], raw[NONCE_BYTES:], _associated(sealed.key_id, purpose)
        )
    except (InvalidTag, ValueError):
        raise Unreadable("does not open") from None
    return plain.decode()


def _associated(key_id: str, purpose: str) -> bytes:
    return json.dumps([key_id, purpose]).encode()
