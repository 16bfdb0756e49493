"""The local PostgreSQL cluster that FerretDB stores its documents in: binaries, setup, probe."""

from __future__ import annotations

import os
import pwd
import re
import shutil
import socket
import struct
import subprocess
from collections.abc import Mapping
from pathlib import Path

# STADTMELDER_DB_BACKEND chooses where the local FerretDB keeps its documents.
BACKEND_VARIABLE = "STADTMELDER_DB_BACKEND"
BACKENDS = ("postgresql", "sqlite")
DEFAULT_BACKEND = "sqlite"
# The cluster's superuser, whoever runs it; FerretDB keeps each MongoDB database as a schema of
# this cluster's `postgres` database. Trust on 127.0.0.1 only: the cluster listens nowhere else.
USER = "stadtmelder"
DATABASE = "postgres"
# FerretDB 1.24 holds one connection per document that an update command replaces until the
# command ends; at its own default pool of 50 a bulk replacement of 50 documents waits for itself
# forever. With 100 it is the limit of FerretDB on SQLite, which stadtmelder_shared.bulk_writes
# keeps its batches well below; the server allows a few more sessions for psql and the probe.
POOL_CONNECTIONS = 100
MAX_CONNECTIONS = POOL_CONNECTIONS + 10
# PostgreSQL refuses to run as root; as root (CI, containers) it runs as the user that Debian's
# package creates.
SERVER_USER = "postgres"
# Debian's package installs here and puts none of it on the PATH.
DEBIAN_BINARIES = Path("/usr/lib/postgresql")
INSTALL_HINT = (
    "install it (sudo apt-get install postgresql), or keep FerretDB on SQLite with "
    f"{BACKEND_VARIABLE}=sqlite"
)


class ClusterError(Exception):
    """A failure that ends the stack command with a one-line reason."""

    exit_code = 1


class MissingServerError(ClusterError):
    exit_code = 2


def backend(environ: Mapping[str, str]) -> str:
    chosen = environ.get(BACKEND_VARIABLE, "").strip().lower() or DEFAULT_BACKEND
    if chosen not in BACKENDS:
        raise ClusterError(f"{BACKEND_VARIABLE}={chosen!r}: choose {' or '.join(BACKENDS)}")
    return chosen


def url(host: str, port: int) -> str:
    return f"postgres://{USER}@{host}:{port}/{DATABASE}?pool_max_conns={POOL_CONNECTIONS}"


def binaries() -> Path | None:
    """The directory of `postgres` and `initdb`: on the PATH, else Debian's newest version."""
    on_path = shutil.which("postgres")
    if on_path and shutil.which("initdb"):
        return Path(on_path).resolve().parent
    versions = sorted(
        (path for path in DEBIAN_BINARIES.glob("*/bin") if (path / "postgres").exists()),
        key=lambda path: int(path.parent.name) if path.parent.name.isdigit() else 0,
    )
    return versions[-1] if versions else None


def install() -> Path:
    """Find the binaries; as root with apt-get, install Debian's package first (progress shown)."""
    found = binaries()
    if found is not None:
        return found
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        raise MissingServerError(f"PostgreSQL is required for FerretDB — {INSTALL_HINT}")
    print("postgresql: installing Debian's postgresql package (first run only) ...", flush=True)
    environment = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (["apt-get", "update"], ["apt-get", "install", "-y", "postgresql"]):
        if subprocess.run(command, env=environment, check=False).returncode != 0:
            raise ClusterError(f"{' '.join(command)} failed; its output above says why")
    found = binaries()
    if found is None:
        raise MissingServerError(f"no PostgreSQL binaries after the install — {INSTALL_HINT}")
    print(f"postgresql: installed, binaries in {found}")
    return found


def run_as() -> list[str]:
    """The prefix that drops root to SERVER_USER; setpriv execs, so the pid stays the server's."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam(SERVER_USER)
    except KeyError:
        raise MissingServerError(
            f"PostgreSQL will not run as root and there is no {SERVER_USER!r} user to run it as — "
            "create one (Debian's postgresql package does)"
        ) from None
    return ["setpriv", f"--reuid={SERVER_USER}", f"--regid={SERVER_USER}", "--init-groups", "--"]


def major_version(bin_dir: Path) -> str:
    output = subprocess.run(
        [str(bin_dir / "postgres"), "--version"], capture_output=True, text=True, check=False
    ).stdout
    match = re.search(r"(\d+)(?:\.\d+)?", output)
    if match is None:
        raise ClusterError(f"cannot tell the version of {bin_dir / 'postgres'}")
    return match[1]


def prepare(data_dir: Path, shown_as: str) -> Path:
    """Install if needed and create the cluster on first start; return the binaries' directory."""
    bin_dir = install()
    version_file = data_dir / "PG_VERSION"
    if version_file.exists():
        made_by, runs = version_file.read_text().strip(), major_version(bin_dir)
        if made_by != runs:
            raise ClusterError(
                f"{shown_as} holds a PostgreSQL {made_by} cluster and the server is {runs}: "
                "delete it (stack.py reset) or install PostgreSQL " + made_by
            )
        return bin_dir
    print(f"postgresql: creating a cluster in {shown_as} (first start only)", flush=True)
    shutil.rmtree(data_dir, ignore_errors=True)  # what an interrupted initdb left
    data_dir.mkdir(parents=True)
    if os.geteuid() == 0:
        server = pwd.getpwnam(SERVER_USER)
        os.chown(data_dir, server.pw_uid, server.pw_gid)
    command = [
        *run_as(),
        str(bin_dir / "initdb"),
        "--pgdata",
        str(data_dir),
        "--username",
        USER,
        "--auth",
        "trust",
        "--encoding",
        "UTF8",
        "--no-locale",
        "--no-sync",  # a fresh, empty cluster: nothing in it is worth an fsync yet
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(result.stdout + result.stderr, flush=True)
        raise ClusterError("initdb failed; its output is above")
    return bin_dir


def server_command(bin_dir: Path, data_dir: Path, host: str, port: int) -> tuple[str, ...]:
    return (
        *run_as(),
        str(bin_dir / "postgres"),
        "-D",
        str(data_dir),
        "-p",
        str(port),
        "-c",
        f"listen_addresses={host}",
        "-c",
        f"max_connections={MAX_CONNECTIONS}",
        # No socket in /var/run/postgresql, which only Debian's postgres user may write to.
        "-c",
        "unix_socket_directories=",
    )


def answers(host: str, port: int) -> bool:
    """Log in as USER: the server answers ReadyForQuery only once it accepts sessions (while it
    starts or recovers, it answers with an error)."""
    parameters = f"user\0{USER}\0database\0{DATABASE}\0\0".encode()
    startup = struct.pack(">ii", 8 + len(parameters), 196608) + parameters  # protocol 3.0
    try:
        with (
            socket.create_connection((host, port), timeout=2) as connection,
            connection.makefile("rb") as replies,
        ):
            connection.sendall(startup)
            while len(header := replies.read(5)) == 5:
                kind, length = struct.unpack(">ci", header)
                replies.read(length - 4)
                if kind == b"Z":
                    connection.sendall(b"X" + struct.pack(">i", 4))  # Terminate: a clean close
                    return True
                if kind == b"E":
                    return False
    except (OSError, struct.error):
        return False
    return False  # closed before it was ready
