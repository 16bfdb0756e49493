"""Staff sign-in's rules without I/O: PKCE, the sign-in attempt, safe return paths, session
expiry and how the identity provider's claims become a staff member."""

import base64
import hashlib
import hmac
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal
from urllib.parse import urlsplit

from stadtmelder_reports.staff.auth import ROLES, StaffMember, staff_member
from stadtmelder_shared.departments import Directory

STAFF_HOME = "/staff"
# Where a return path may lead: the staff pages only, never another site.
RETURN_PREFIX = "/staff/"
MAX_RETURN_PATH = 300

Reason = Literal[
    "cancelled",  # the person (or the provider) ended the sign-in there
    "state",  # the answer belongs to no sign-in started here: forged, replayed or too old
    "token",  # the provider's answer or ID token did not check out
    "unavailable",  # the provider cannot be reached
    "no_staff_role",  # signed in, but the account grants no staff access here
    "not_configured",  # this server has no way of signing staff in
]


class SignInFailed(Exception):
    """Why a sign-in did not give a session; `reason` picks the page's sentence."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(detail or reason)
        self.reason: Reason = reason
        self.detail = detail


def _random() -> str:
    return secrets.token_urlsafe(32)


def code_challenge(verifier: str) -> str:
    """PKCE's S256 challenge (RFC 7636 4.2): base64url of the verifier's SHA-256, unpadded."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def safe_return_path(asked: str | None) -> str:
    """A staff page of this site to go back to after signing in; anything else (another host,
    `//evil`, a backslash trick, a non-staff page) becomes the staff start page."""
    if not asked or len(asked) > MAX_RETURN_PATH:
        return STAFF_HOME
    parts = urlsplit(asked)
    if parts.scheme or parts.netloc or "\\" in asked or not asked.startswith(RETURN_PREFIX):
        return STAFF_HOME
    if asked.startswith("//") or any(ord(c) < 0x21 for c in asked):
        return STAFF_HOME
    return asked


@dataclass(frozen=True)
class LoginAttempt:
    """One sign-in on its way through the provider: kept in a short-lived signed cookie,
    compared with what comes back."""

    return_to: str = STAFF_HOME
    state: str = field(default_factory=_random)
    nonce: str = field(default_factory=_random)
    code_verifier: str = field(default_factory=_random)

    @property
    def code_challenge(self) -> str:
        return code_challenge(self.code_verifier)

    def check_state(self, returned: str | None) -> None:
        if not returned or not hmac.compare_digest(returned, self.state):
            raise SignInFailed("state", "the answer's state is not this sign-in's")

    def check_nonce(self, claims: Mapping[str, Any]) -> None:
        nonce = claims.get("nonce")
        if not isinstance(nonce, str) or not hmac.compare_digest(nonce, self.nonce):
            raise SignInFailed("token", "the ID token's nonce is not this sign-in's")


@dataclass(frozen=True)
class ClaimMapping:
    """Which claims carry roles and department, and how the provider's values read here
    (Entra ID app roles such as `Stadtmelder.Clerk`, Keycloak groups such as `/wbd-strasse`)."""

    roles_claim: str = "roles"
    department_claim: str = "department"
    role_values: Mapping[str, str] = field(default_factory=dict)
    department_values: Mapping[str, str] = field(default_factory=dict)


def claim_at(claims: Mapping[str, Any], path: str) -> Any:
    """A claim by name, or by a dotted path into nested claims (Keycloak's
    `realm_access.roles`); a name that itself holds dots is found first."""
    if path in claims:
        return claims[path]
    found: Any = claims
    for part in path.split("."):
        if not isinstance(found, Mapping) or part not in found:
            return None
        found = found[part]
    return found


def _as_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return value.split()
    if isinstance(value, list):
        return [item for item in value if isinstance(item, str)]
    return []


def member_from_claims(
    claims: Mapping[str, Any], mapping: ClaimMapping, directory: Directory
) -> StaffMember:
    """The staff member an ID token names; NotAllowed when it grants no staff access."""
    roles = [
        mapping.role_values.get(value, value)
        for value in _as_list(claim_at(claims, mapping.roles_claim))
    ]
    departments = [
        mapping.department_values.get(value, value)
        for value in _as_list(claim_at(claims, mapping.department_claim))
    ]
    # Of several groups, the first that names a department of this city's directory.
    department = next((d for d in departments if directory.get(d) is not None), None)
    if department is None and departments:
        department = departments[0]
    name = claims.get("name")
    member = staff_member(
        {
            "sub": claims["sub"],
            "roles": [role for role in roles if role in ROLES],
            "department": department,
        },
        directory,
    )
    return StaffMember(
        member.user_id,
        member.roles,
        member.department_id,
        name=name if isinstance(name, str) else "",
    )


def session_ends(now: datetime, hours: float, token_expires: datetime | None = None) -> datetime:
    """A session lasts `hours` (a working day by default), never beyond a pasted token's expiry."""
    ends = now + timedelta(hours=hours)
    return min(ends, token_expires) if token_expires else ends
