"""Whether an HTTP request to the fleet service comes from a dispatcher or an admin: the bearer
token the city's sign-in issued to staff (the one reports checks), verified with its key."""

import asyncio
from pathlib import Path
from typing import Any, Literal

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from faststream.asgi.types import Scope

# Planning rounds is the dispatchers' work; clerks see their department's queue, not plans.
PLANNING_ROLES = frozenset({"dispatcher", "admin"})
ALGORITHMS = ["ES256", "RS256"]
LEEWAY_S = 30
Access = Literal["planner", "not_authenticated", "not_allowed"]


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

    def access(self, token: str) -> Access:
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
            # A missing key file, an unreachable IdP or a bad token: nobody is signed in.
            return "not_authenticated"
        roles = claims.get("roles")
        planner = isinstance(roles, list) and bool(PLANNING_ROLES.intersection(roles))
        return "planner" if planner else "not_allowed"

    async def __call__(self, scope: Scope) -> Access:
        headers = dict(scope.get("headers", []))
        scheme, _, token = headers.get(b"authorization", b"").decode("latin-1").partition(" ")
        if scheme.lower() != "bearer":
            return "not_authenticated"
        # Verification reads a key file or the IdP's keys: off the event loop.
        access: Access = await asyncio.to_thread(self.access, token.strip())
        return access
