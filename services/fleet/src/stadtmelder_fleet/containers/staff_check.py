"""Whether an HTTP request to the fleet service comes from a dispatcher or an admin: the bearer
token the city's sign-in issued to staff (the one reports checks), verified with its key."""

import asyncio
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from faststream.asgi.types import Scope

# Planning rounds is the dispatchers' work; clerks see their department's queue, not plans.
PLANNING_ROLES = frozenset({"dispatcher", "admin"})
ALGORITHMS = ["ES256", "RS256"]
LEEWAY_S = 30


class StaffTokens:
    """Checks tokens against the IdP's JWKS when configured, else the public half of the local
    development key (`make token` creates it; reports reads the same file)."""

    def __init__(self, jwks_url: str | None, key_file: Path, issuer: str, audience: str) -> None:
        self._jwks = jwt.PyJWKClient(jwks_url, cache_keys=True, timeout=10) if jwks_url else None
        self._key_file = key_file
        self._issuer = issuer
        self._audience = audience

    def _key(self, token: str) -> Any:
        if self._jwks is not None:
            return self._jwks.get_signing_key_from_jwt(token).key
        return load_pem_private_key(self._key_file.read_bytes(), password=None).public_key()

    def may_plan(self, token: str) -> bool:
        try:
            claims = jwt.decode(
                token,
                self._key(token),
                algorithms=ALGORITHMS,
                audience=self._audience,
                issuer=self._issuer,
                leeway=LEEWAY_S,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except (jwt.PyJWTError, OSError, ValueError):
            return False
        roles = claims.get("roles")
        return isinstance(roles, list) and bool(PLANNING_ROLES.intersection(roles))

    async def __call__(self, scope: Scope) -> bool:
        headers = dict(scope.get("headers", []))
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        # Verification reads a key file or the IdP's keys: off the event loop.
        return scheme.lower() == "bearer" and await asyncio.to_thread(self.may_plan, token.strip())
