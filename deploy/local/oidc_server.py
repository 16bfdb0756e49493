"""The local OpenID Provider of `make run` and the tests (deploy/local/oidc/, panva's
oidc-provider on Node.js): its component for stack.py and the settings that point the
reports service's staff sign-in at it."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent / "oidc"
HOST = "127.0.0.1"
CLIENT_ID = "stadtmelder-local"
SCOPES = "openid profile stadtmelder"
# Beside the reports port, so the test profile's offset shifts it like every other port.
PORT_AFTER_REPORTS = 10
ISSUER_VARIABLE = "REPORTS_OIDC_ISSUER"
# Whom `make run` tells a newcomer to sign in as (deploy/local/oidc/users.json).
SAMPLE_LOGIN = ("clerk-licht", "stadtmelder")


def port(reports_port: int) -> int:
    return reports_port + PORT_AFTER_REPORTS


def issuer(reports_port: int) -> str:
    return f"http://{HOST}:{port(reports_port)}"


def external_issuer(environ: Mapping[str, str], environment_wins: bool) -> str | None:
    """The real provider `make run` is pointed at instead, if any; tests always use ours."""
    return environ.get(ISSUER_VARIABLE) if environment_wins else None


def service_settings(
    reports_port: int, environ: Mapping[str, str], environment_wins: bool
) -> dict[str, str]:
    """The reports service's sign-in settings for the local provider; development tokens are
    allowed here (and only here) beside it."""
    found = {"REPORTS_STAFF_DEVELOPMENT_TOKENS": "true"}
    if not external_issuer(environ, environment_wins):
        found |= {
            ISSUER_VARIABLE: issuer(reports_port),
            "REPORTS_OIDC_CLIENT_ID": CLIENT_ID,
            "REPORTS_OIDC_SCOPES": SCOPES,
        }
    return found


def component_fields(
    reports_port: int,
    environ: Mapping[str, str],
    environment_wins: bool,
    missing: type[Exception],
    is_ready: Callable[[int], bool],
) -> dict[str, Any]:
    """The keyword arguments of stack.py's Component for the provider; it listens only once
    it is set up, so an open port (`is_ready`) means ready."""

    def prepare() -> None:
        if shutil.which("node") is None:
            raise missing("the local sign-in server needs Node.js 20+: apt-get install nodejs npm")
        if not (HERE / "node_modules/oidc-provider").is_dir():
            raise missing("the local sign-in server is not installed: run `make install`")

    own_port = port(reports_port)
    return {
        "name": "oidc",
        "port": own_port,
        "argv": (
            shutil.which("node") or "node",
            str(HERE / "server.mjs"),
            "--port",
            str(own_port),
            "--client-base",
            f"http://{HOST}:{reports_port}",
        ),
        "is_ready": is_ready,
        "cwd": HERE,
        "prepare": prepare,
        "replaced_by": ISSUER_VARIABLE if external_issuer(environ, environment_wins) else None,
    }
