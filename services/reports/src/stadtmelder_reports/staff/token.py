"""Development staff tokens: `python -m stadtmelder_reports.staff.token --role clerk ...`.

Signs with the local key (`REPORTS_STAFF_SIGNING_KEY_FILE`), creating an EC P-256 key on first
use; the service checks tokens with its public half whenever no JWKS URL is configured. The staff
API takes them as bearer tokens; the staff sign-in page only where REPORTS_STAFF_DEVELOPMENT_TOKENS
is on (`make run`, the tests), people otherwise sign in through the city's identity provider.
"""

import argparse
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from stadtmelder_reports.core.catalogue import load_departments
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_reports.staff.auth import LOCAL_ISSUER, ROLES
from stadtmelder_shared.key_files import ensure_p256_key_pem

TOKEN_HOURS = 12


def ensure_signing_key(path: Path) -> PrivateKeyTypes:
    """The private key at `path`, created first if there is none yet (only the owner reads it)."""
    return serialization.load_pem_private_key(ensure_p256_key_pem(path), password=None)


def issue_token(
    key: PrivateKeyTypes,
    subject: str,
    roles: Sequence[str],
    department: str | None,
    audience: str,
    issuer: str = LOCAL_ISSUER,
    hours: float = TOKEN_HOURS,
    now: datetime | None = None,
) -> str:
    issued = now or datetime.now(UTC)
    claims: dict[str, object] = {
        "sub": subject,
        "roles": list(roles),
        "iss": issuer,
        "aud": audience,
        "iat": issued,
        "exp": issued + timedelta(hours=hours),
    }
    if department:
        claims["department"] = department
    algorithm = "ES256" if isinstance(key, ec.EllipticCurvePrivateKey) else "RS256"
    return jwt.encode(claims, key, algorithm=algorithm)  # type: ignore[arg-type]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m stadtmelder_reports.staff.token",
        description=f"Print a development staff token, valid {TOKEN_HOURS} hours.",
    )
    parser.add_argument("--role", action="append", choices=ROLES, required=True)
    parser.add_argument("--department", help="the clerk's department id, e.g. wbd-strasse")
    parser.add_argument("--sub", help="the user id (default: <role>-<department>)")
    parser.add_argument("--hours", type=float, default=TOKEN_HOURS)
    arguments = parser.parse_args(argv)
    settings = ReportsSettings()
    if settings.staff_jwks_url:
        print(
            "REPORTS_STAFF_JWKS_URL is set: tokens come from the identity provider.",
            file=sys.stderr,
        )
        return 2
    directory = load_departments(settings.departments_file)
    if arguments.department and directory.get(arguments.department) is None:
        known = ", ".join(d.id for d in directory.departments)
        print(
            f"unknown department {arguments.department!r}; choose one of: {known}", file=sys.stderr
        )
        return 2
    if arguments.role == ["clerk"] and not arguments.department:
        print(
            "a clerk needs a department: add --department (make token ... DEPARTMENT=...)",
            file=sys.stderr,
        )
        return 2
    key = ensure_signing_key(settings.staff_signing_key_file)
    subject = arguments.sub or "-".join(filter(None, [*arguments.role, arguments.department]))
    print(
        issue_token(
            key,
            subject,
            arguments.role,
            arguments.department,
            settings.staff_audience,
            settings.staff_issuer or LOCAL_ISSUER,
            arguments.hours,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
