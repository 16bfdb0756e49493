"""The staff session and the sign-in attempt as signed cookies (HS256 JWTs under a key of this
server): the browser holds them, any replica checks them, and each carries its own expiry.

A signed cookie needs no session store shared by the replicas; the price is that a session
cannot be ended on the server before it expires; signing out deletes the cookie, and the
session is short (REPORTS_STAFF_SESSION_HOURS).
"""

import hashlib
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, NamedTuple

import jwt

from stadtmelder_reports.staff.auth import ROLES, StaffMember
from stadtmelder_reports.staff.sign_in.domain import LoginAttempt, safe_return_path

SESSION_AUDIENCE = "stadtmelder-staff-session"
ATTEMPT_AUDIENCE = "stadtmelder-staff-sign-in"
ISSUER = "stadtmelder-reports"
# Long enough to type a password and pass a second factor at the provider.
ATTEMPT_MINUTES = 15

Via = Literal["oidc", "development-token"]


class Session(NamedTuple):
    """Who is signed in, until when, and how (the provider, or a pasted development token)."""

    member: StaffMember
    expires: datetime
    via: Via


class CookieSeal:
    """Signs and checks the staff cookies; the key is derived from the server's secret, so
    a cookie of another purpose (or another deployment) never passes."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(f"staff-session|{secret}".encode()).digest()

    def _seal(self, claims: dict[str, Any], audience: str, expires: datetime) -> str:
        body = {**claims, "iss": ISSUER, "aud": audience, "exp": expires}
        return jwt.encode(body, self._key, algorithm="HS256")

    def _open(self, sealed: str, audience: str) -> dict[str, Any] | None:
        try:
            claims: dict[str, Any] = jwt.decode(
                sealed,
                self._key,
                algorithms=["HS256"],
                audience=audience,
                issuer=ISSUER,
                options={"require": ["exp", "iss", "aud"]},
            )
        except jwt.PyJWTError:
            return None
        return claims

    def seal_session(self, session: Session) -> str:
        member = session.member
        claims = {
            "sub": member.user_id,
            "roles": sorted(member.roles),
            "department": member.department_id,
            "name": member.name,
            "via": session.via,
        }
        return self._seal(claims, SESSION_AUDIENCE, session.expires)

    def open_session(self, sealed: str | None) -> Session | None:
        """The session a cookie holds; None when it is missing, forged or expired."""
        claims = self._open(sealed, SESSION_AUDIENCE) if sealed else None
        if claims is None or not isinstance(claims.get("sub"), str):
            return None
        roles = frozenset(r for r in ROLES if r in (claims.get("roles") or []))
        department = claims.get("department")
        member = StaffMember(
            claims["sub"],
            roles,
            department if isinstance(department, str) else None,
            name=str(claims.get("name") or ""),
        )
        via: Via = "oidc" if claims.get("via") == "oidc" else "development-token"
        return Session(member, datetime.fromtimestamp(claims["exp"], UTC), via)

    def seal_attempt(self, attempt: LoginAttempt, now: datetime) -> str:
        claims = {
            "state": attempt.state,
            "nonce": attempt.nonce,
            "verifier": attempt.code_verifier,
            "next": attempt.return_to,
        }
        return self._seal(claims, ATTEMPT_AUDIENCE, now + timedelta(minutes=ATTEMPT_MINUTES))

    def open_attempt(self, sealed: str | None) -> LoginAttempt | None:
        claims = self._open(sealed, ATTEMPT_AUDIENCE) if sealed else None
        if claims is None:
            return None
        try:
            return LoginAttempt(
                return_to=safe_return_path(claims.get("next")),
                state=str(claims["state"]),
                nonce=str(claims["nonce"]),
                code_verifier=str(claims["verifier"]),
            )
        except KeyError:
            return None
