"""Who is calling the staff API: bearer tokens (JWT) verified against the OIDC provider's keys.

Production verifies RS256/ES256 signatures with keys from the provider's JWKS URL. Development
signs its own tokens (`make token`) with a local private key and verifies with its public half.
"""

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol

import jwt
from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.asymmetric.types import PublicKeyTypes
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from litestar.connection import ASGIConnection
from litestar.middleware import AbstractAuthenticationMiddleware, AuthenticationResult

from stadtmelder_reports.errors import NotAllowed, NotAuthenticated, SignInUnavailable
from stadtmelder_shared.departments import Directory
from stadtmelder_shared.event_values import Actor
from stadtmelder_shared.translations import N_

log = logging.getLogger(__name__)

Role = Literal["clerk", "dispatcher", "admin"]
# Strongest first: the role an action is recorded under when a token carries several.
ROLES: tuple[Role, ...] = ("admin", "dispatcher", "clerk")
# Asymmetric only: an HS256 token signed with a public key must never pass.
ALGORITHMS = ["RS256", "ES256"]
LOCAL_ISSUER = "stadtmelder-local"
CLOCK_SKEW_SECONDS = 30


@dataclass(frozen=True)
class StaffMember:
    user_id: str
    roles: frozenset[Role]
    department_id: str | None = None
    # As the identity provider spells it, for the page header; empty for development tokens.
    name: str = ""

    @property
    def shown_as(self) -> str:
        return self.name or self.user_id

    @property
    def role(self) -> Role:
        return next(role for role in ROLES if role in self.roles)

    def has(self, *roles: Role) -> bool:
        return any(role in self.roles for role in roles)

    def actor(self) -> Actor:
        return Actor(role=self.role, user_id=self.user_id, department_id=self.department_id)


def staff_member(claims: dict[str, Any], directory: Directory) -> StaffMember:
    """The staff member a verified token names; NotAllowed if it grants no staff access."""
    raw_roles = claims.get("roles")
    roles = frozenset(role for role in ROLES if isinstance(raw_roles, list) and role in raw_roles)
    if not roles:
        raise NotAllowed(
            "This sign-in carries no staff role (clerk, dispatcher or admin).",
            N_("not_allowed_no_role"),
        )
    department = claims.get("department")
    known = isinstance(department, str) and directory.get(department) is not None
    if department is not None and not known:
        raise NotAllowed(
            f"The token names the department {department!r}, unknown here.",
            N_("not_allowed_unknown_department"),
        )
    if roles == {"clerk"} and department is None:
        raise NotAllowed(
            "A clerk's token must name the clerk's department.",
            N_("not_allowed_clerk_department"),
        )
    return StaffMember(str(claims["sub"]), roles, department)


class KeySource(Protocol):
    async def key_for(self, token: str) -> Any:
        """The public key that must have signed `token`."""
        ...


class JwksKeys:
    """The identity provider's published keys; PyJWT caches them and refetches unknown ids."""

    def __init__(self, url: str) -> None:
        self._client = jwt.PyJWKClient(url, cache_keys=True, lifespan=300, timeout=10)

    async def key_for(self, token: str) -> Any:
        try:
            # PyJWKClient fetches with urllib: keep the event loop free meanwhile.
            return await asyncio.to_thread(self._client.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError:
            log.exception("the identity provider's keys could not be fetched")
            raise SignInUnavailable() from None
        except jwt.PyJWTError as error:
            raise NotAuthenticated(f"The token cannot be checked: {error}.") from None


class LocalKeys:
    """The development signing key's public half, reread when the key file changes."""

    def __init__(self, private_key_file: Path) -> None:
        self._file = private_key_file
        self._loaded: tuple[int, PublicKeyTypes] | None = None

    async def key_for(self, token: str) -> PublicKeyTypes:
        try:
            changed = self._file.stat().st_mtime_ns
        except FileNotFoundError:
            raise NotAuthenticated(
                "No staff signing key is set up on this server; create one with `make token`.",
                N_("not_authenticated_no_key"),
            ) from None
        if self._loaded is None or self._loaded[0] != changed:
            private_key = load_pem_private_key(self._file.read_bytes(), password=None)
            self._loaded = (changed, private_key.public_key())
        return self._loaded[1]


def algorithms_for(key: Any) -> list[str]:
    """The one algorithm `key` verifies: PyJWT given a key of another kind fails with a
    TypeError, not a token error, so a token must never reach it with another `alg`."""
    if isinstance(key, jwt.PyJWK):
        return [key.algorithm_name] if key.algorithm_name in ALGORITHMS else []
    if isinstance(key, RSAPublicKey):
        return ["RS256"]
    if isinstance(key, EllipticCurvePublicKey):
        return ["ES256"]
    return []


ALGORITHM_SHOWN = 40


def check_algorithm(token: str, allowed: list[str]) -> None:
    """NotAuthenticated, with what to do, for a token that is no JWT or has an `alg` we refuse."""
    try:
        algorithm = jwt.get_unverified_header(token).get("alg")
    except jwt.PyJWTError:
        raise NotAuthenticated(
            "The token is not a JWT of the city's sign-in; sign in again and send the token "
            "you get, unchanged."
        ) from None
    if algorithm not in allowed:
        # The header is the sender's: echoed only as far as an algorithm name can reach.
        shown = repr(algorithm)[:ALGORITHM_SHOWN]
        raise NotAuthenticated(
            f"The token is signed with {shown}, but this server accepts only "
            f"{' or '.join(allowed) or 'no'} tokens of its sign-in; sign in again to get one.",
            N_("not_authenticated_algorithm"),
        )


class TokenVerifier:
    def __init__(self, keys: KeySource, issuer: str, audience: str, directory: Directory) -> None:
        self._keys = keys
        self._issuer = issuer
        self._audience = audience
        self._directory = directory

    async def verify(self, token: str) -> StaffMember:
        member, _ = await self.verify_with_expiry(token)
        return member

    async def verify_with_expiry(self, token: str) -> tuple[StaffMember, datetime]:
        """The member and when the token ends, so a session made of it ends no later."""
        try:
            key = await self._keys.key_for(token)
            allowed = algorithms_for(key)
            check_algorithm(token, allowed)
            claims = jwt.decode(
                token,
                key,
                algorithms=allowed,
                audience=self._audience,
                issuer=self._issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.PyJWTError as error:
            raise NotAuthenticated(f"The token is not valid: {error}.") from None
        expires = datetime.fromtimestamp(claims["exp"], UTC)
        return staff_member(claims, self._directory), expires


class StaffAuthentication(AbstractAuthenticationMiddleware):
    """Runs before anything else of a staff request, so no one learns more without a token."""

    async def authenticate_request(self, connection: ASGIConnection[Any, Any, Any, Any]) -> Any:
        scheme, _, token = connection.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise NotAuthenticated("Sign in first: send the header Authorization: Bearer <token>.")
        verifier: TokenVerifier = connection.app.state.staff_verifier
        member = await verifier.verify(token.strip())
        return AuthenticationResult(user=member, auth=token)
