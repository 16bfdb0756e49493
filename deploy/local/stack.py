"""Starts, stops and inspects the local Stadtmelder system: Kafka, FerretDB (on SQLite or
PostgreSQL), SMTP sink, services."""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

# The sibling module, also when this script is loaded by path (tests, bench) rather than run.
sys.path.insert(0, str(Path(__file__).resolve().parent))
import oidc_server
import postgresql_cluster
import replicas
import sqlite_leftovers

ROOT = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
ORDER = ("kafka", "postgresql", "ferretdb", "smtp", "oidc", "reports", "routing", "notify", "fleet")
SERVICE_MODULES = {
    "reports": "stadtmelder_reports",
    "routing": "stadtmelder_routing",
    "notify": "stadtmelder_notify",
    "fleet": "stadtmelder_fleet",
}
# In the run profile these variables point the services at real servers; the local one is skipped.
EXTERNAL_SERVER_VARIABLES = {
    "kafka": "KAFKA_BOOTSTRAP_SERVERS",
    "ferretdb": "MONGODB_URL",
    "postgresql": "MONGODB_URL",
    "smtp": "SMTP_HOST",
}

KAFKA_POM = ROOT / "deploy/local/kafka/pom.xml"
KAFKA_LIBS = ROOT / "var/kafka/libs"
FERRETDB_SOURCE = ROOT / "deploy/local/ferretdb"
FERRETDB_BINARY = ROOT / "var/bin/ferretdb"
SMTP_SINK = ROOT / "deploy/local/smtp_sink.py"

NOT_USED_HINT = f"{postgresql_cluster.BACKEND_VARIABLE}=postgresql uses it"
JAVA_HINT = "install a JDK 17 or newer (e.g. apt install openjdk-17-jre-headless)"
LOG_TAIL_ON_FAILURE = 30
LOG_TAIL_ON_REQUEST = 20


class StackError(Exception):
    """A failure that ends the command with a one-line reason."""

    exit_code = 1


class MissingPrerequisiteError(StackError):
    exit_code = 2


@dataclass(frozen=True)
class Profile:
    name: str
    state_dir: Path
    kafka_port: int
    kafka_controller_port: int
    ferretdb_port: int
    postgresql_port: int
    smtp_port: int
    reports_port: int
    routing_port: int
    notify_port: int
    fleet_port: int
    # Operators aim `make run` at real servers through the environment; tests must never be.
    environment_wins: bool

    @property
    def kafka_dir(self) -> Path:
        return self.state_dir / "kafka"

    @property
    def kafka_properties(self) -> Path:
        return self.kafka_dir / "server.properties"

    @property
    def ferretdb_dir(self) -> Path:
        return self.state_dir / "ferretdb"

    @property
    def postgresql_dir(self) -> Path:
        return self.state_dir / "postgresql"

    @property
    def mail_dir(self) -> Path:
        return self.state_dir / "mail"

    def pid_file(self, component: str) -> Path:
        return self.state_dir / "run" / f"{component}.pid"

    def log_file(self, component: str) -> Path:
        return self.state_dir / "log" / f"{component}.log"


def _test_profile() -> Profile:
    """Two checkouts testing on one machine each need their own ports: shift them all by
    STADTMELDER_TEST_PORT_OFFSET (e.g. 100)."""
    shift = int(os.environ.get("STADTMELDER_TEST_PORT_OFFSET", "0"))
    return Profile(
        "test",
        ROOT / ("var/test" if shift == 0 else f"var/test-{shift}"),
        kafka_port=19092 + shift,
        kafka_controller_port=19093 + shift,
        ferretdb_port=27018 + shift,
        postgresql_port=15433 + shift,
        smtp_port=1026 + shift,
        reports_port=18000 + shift,
        routing_port=18001 + shift,
        notify_port=18002 + shift,
        fleet_port=18003 + shift,
        environment_wins=False,
    )


PROFILES = {
    "run": Profile(
        "run", ROOT / "var", 9092, 9093, 27017, 5433, 1025, 8000, 8001, 8002, 8003, True
    ),
    "test": _test_profile(),
}


@dataclass(frozen=True)
class Component:
    name: str
    port: int
    argv: tuple[str, ...]
    is_ready: Callable[[int], bool]
    cwd: Path = ROOT
    env: Mapping[str, str] | None = None
    prepare: Callable[[], None] | None = None
    # Resolved at launch, after prepare: PostgreSQL's binaries may be installed only then.
    command: Callable[[], tuple[str, ...]] | None = None
    start_timeout: float = 60
    stop_timeout: float = 20
    stop_signal: signal.Signals = signal.SIGTERM
    # False for PostgreSQL while FerretDB runs on SQLite: never started, stopped if it runs.
    used: bool = True
    # The variable that points the services at an external server instead of this one.
    replaced_by: str | None = None


# --- probes -------------------------------------------------------------------------------------


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=1):
            return True
    except OSError:
        return False


def kafka_answers(port: int) -> bool:
    """Send an ApiVersions request: the broker answers only once it is serving requests.

    Its listener accepts TCP connections into the backlog long before that.
    """
    client_id = b"stadtmelder-stack"
    header = struct.pack(">hhih", 18, 0, 7, len(client_id)) + client_id
    try:
        with socket.create_connection((HOST, port), timeout=2) as connection:
            connection.sendall(struct.pack(">i", len(header)) + header)
            (size,) = struct.unpack(">i", _receive_exactly(connection, 4))
            (correlation_id,) = struct.unpack(">i", _receive_exactly(connection, size)[:4])
    except (OSError, struct.error):
        return False
    return bool(correlation_id == 7)


def _receive_exactly(connection: socket.socket, count: int) -> bytes:
    data = b""
    while len(data) < count:
        chunk = connection.recv(count - len(data))
        if not chunk:
            raise ConnectionError("connection closed")
        data += chunk
    return data


def mongodb_answers(port: int) -> bool:
    """Send {ping: 1} as an OP_MSG; a bare connect-and-close makes FerretDB log a warning."""
    document = b"\x10ping\x00" + struct.pack("<i", 1) + b"\x02$db\x00" + struct.pack("<i", 6)
    document += b"admin\x00"
    document = struct.pack("<i", len(document) + 5) + document + b"\x00"
    body = struct.pack("<IB", 0, 0) + document
    request_id, op_msg = 7, 2013
    header = struct.pack("<iiii", 16 + len(body), request_id, 0, op_msg)
    try:
        with socket.create_connection((HOST, port), timeout=2) as connection:
            connection.sendall(header + body)
            length, _, response_to, op_code = struct.unpack(
                "<iiii", _receive_exactly(connection, 16)
            )
            # Reading the whole reply lets the socket close cleanly instead of with a reset.
            _receive_exactly(connection, length - 16)
    except (OSError, struct.error):
        return False
    return bool(response_to == request_id and op_code == op_msg)


def smtp_answers(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=2) as connection:
            greeting = connection.recv(512)
            connection.sendall(b"QUIT\r\n")
    except OSError:
        return False
    return greeting.startswith(b"220")


def service_is_live(port: int) -> bool:
    # http.client rather than urllib: urllib would send 127.0.0.1 through an http_proxy variable.
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", "/health/live")
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


# --- prerequisites, downloads and builds --------------------------------------------------------


def java_command() -> str:
    java_home = os.environ.get("JAVA_HOME")
    if java_home and (Path(java_home) / "bin/java").exists():
        return str(Path(java_home) / "bin/java")
    return shutil.which("java") or "java"


def require_java(java: str) -> None:
    try:
        result = subprocess.run([java, "-version"], capture_output=True, text=True, check=False)
    except OSError:
        raise MissingPrerequisiteError(f"Java 17+ is required to run Kafka — {JAVA_HINT}") from None
    match = re.search(r'version "(\d+)(?:\.(\d+))?', result.stderr + result.stdout)
    if match is None:
        raise MissingPrerequisiteError(f"cannot tell the version of {java} — {JAVA_HINT}")
    major = int(match[1])
    if major == 1 and match[2]:  # "1.8.0_402" means Java 8
        major = int(match[2])
    if major < 17:
        raise MissingPrerequisiteError(
            f"Java 17+ is required to run Kafka, {java} is Java {major} — {JAVA_HINT}"
        )


def kafka_version() -> str:
    match = re.search(r"<kafka.version>([^<]+)</kafka.version>", KAFKA_POM.read_text())
    if match is None:
        raise StackError(f"no <kafka.version> in {relative(KAFKA_POM)}")
    return match[1]


def fetch_kafka_jars(libs: Path = KAFKA_LIBS) -> None:
    """Fetch the jar set with Maven unless the pom's Kafka version is already there."""
    version = kafka_version()
    if (libs / f"kafka_2.13-{version}.jar").exists():
        return
    mvn = shutil.which("mvn")
    if mvn is None:
        raise MissingPrerequisiteError(
            "Maven is required once to fetch the Kafka jars — install it (e.g. apt install maven)"
        )
    print(
        f"kafka: fetching Kafka {version} jars from Maven Central (first run only) ...", flush=True
    )
    # Into a side directory first, so an interrupted download never looks like a jar set.
    partial = libs.with_name(libs.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    command = [
        mvn,
        "-B",
        "-Dstyle.color=never",
        "-f",
        str(KAFKA_POM),
        "dependency:copy-dependencies",
        f"-DoutputDirectory={partial}",
        "-DincludeScope=runtime",
    ]
    if subprocess.run(command, cwd=ROOT, stdin=subprocess.DEVNULL, check=False).returncode != 0:
        raise StackError("mvn could not fetch the Kafka jars; its output above says why")
    shutil.rmtree(libs, ignore_errors=True)
    partial.rename(libs)
    jars = list(libs.glob("*.jar"))
    size = sum(jar.stat().st_size for jar in jars)
    print(f"kafka: {len(jars)} jars, {size / 1e6:.1f} MB in {relative(libs)}")


def ferretdb_is_stale(binary: Path) -> bool:
    if not binary.exists():
        return True
    built = binary.stat().st_mtime
    sources = [*FERRETDB_SOURCE.glob("*.go"), *(FERRETDB_SOURCE / n for n in ("go.mod", "go.sum"))]
    return any(source.stat().st_mtime > built for source in sources)


def prepare_ferretdb(data_dir: Path) -> None:
    """Build FerretDB if needed, and clear the database files a hard stop left that it cannot
    open (see sqlite_leftovers), so it starts."""
    build_ferretdb()
    removed = sqlite_leftovers.clear_leftovers(data_dir)
    if removed:
        print(f"ferretdb: removed files a stop left unusable: {', '.join(removed)}", flush=True)


def build_ferretdb(binary: Path = FERRETDB_BINARY) -> None:
    if not ferretdb_is_stale(binary):
        return
    go_mod = (FERRETDB_SOURCE / "go.mod").read_text()
    go_version = re.search(r"^go (\S+)", go_mod, re.MULTILINE)
    ferretdb_version = re.search(r"FerretDB/FerretDB v(\S+)", go_mod)
    go = shutil.which("go")
    if go is None:
        wanted = go_version[1] if go_version else "1.24"
        raise MissingPrerequisiteError(
            f"Go {wanted}+ is required to build FerretDB — install it from https://go.dev/dl/"
        )
    version = ferretdb_version[1] if ferretdb_version else ""
    print(f"ferretdb: building FerretDB {version} with go build (first run only) ...", flush=True)
    binary.parent.mkdir(parents=True, exist_ok=True)
    command = [go, "build", "-v", "-o", str(binary), "."]
    if subprocess.run(command, cwd=FERRETDB_SOURCE, check=False).returncode != 0:
        raise StackError("go build of FerretDB failed; its output above says why")
    print(f"ferretdb: built {relative(binary)}")


# --- Kafka configuration -------------------------------------------------------------------------


def kafka_settings(profile: Profile) -> dict[str, str]:
    port, controller = profile.kafka_port, profile.kafka_controller_port
    return {
        "process.roles": "broker,controller",
        "node.id": "1",
        "controller.quorum.bootstrap.servers": f"{HOST}:{controller}",
        "listeners": f"PLAINTEXT://{HOST}:{port},CONTROLLER://{HOST}:{controller}",
        "advertised.listeners": f"PLAINTEXT://{HOST}:{port}",
        "controller.listener.names": "CONTROLLER",
        "inter.broker.listener.name": "PLAINTEXT",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "log.dirs": str(profile.kafka_dir / "data"),
        "num.partitions": "3",
        "auto.create.topics.enable": "true",
        "offsets.topic.replication.factor": "1",
        # Three instead of fifty partitions makes the first consumer group start much faster.
        "offsets.topic.num.partitions": "3",
        "transaction.state.log.replication.factor": "1",
        "transaction.state.log.min.isr": "1",
        "share.coordinator.state.topic.replication.factor": "1",
        "share.coordinator.state.topic.min.isr": "1",
        "group.initial.rebalance.delay.ms": "0",
        # After a kill the restarted broker must wait for its old registration to expire; the
        # default 9 s session makes that restart take about 12 s instead of 6 s. The broker and its
        # controller share one JVM here, so a short session risks nothing but long GC pauses.
        "broker.session.timeout.ms": "4000",
        "broker.heartbeat.interval.ms": "1000",
        # One broker on a small machine: the defaults (3 network, 8 request, 10 background
        # threads) are sized for many cores and only add switching between threads.
        "num.network.threads": "1",
        "num.io.threads": "2",
        "background.threads": "2",
    }


def kafka_jvm(java: str) -> list[str]:
    return [
        java,
        "-Xms256m",
        "-Xmx512m",
        "-XX:+UseG1GC",
        # Kafka logs through SLF4J into slf4j-simple: warnings and errors only, with timestamps.
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
        "-Dorg.slf4j.simpleLogger.showDateTime=true",
        "-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss.SSS",
        "-cp",
        str(KAFKA_LIBS / "*"),
    ]


def cluster_id(profile: Profile) -> str:
    """Return the cluster id of this profile, choosing one on first use."""
    path = profile.kafka_dir / "cluster-id"
    if path.exists():
        return path.read_text().strip()
    while True:
        candidate = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        # Kafka's own generator avoids a leading dash too: the CLI would read it as an option.
        if not candidate.startswith("-"):
            break
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(candidate + "\n")
    return candidate


def prepare_kafka(profile: Profile, java: str) -> None:
    require_java(java)
    fetch_kafka_jars()
    profile.kafka_dir.mkdir(parents=True, exist_ok=True)
    lines = [f"{key}={value}" for key, value in kafka_settings(profile).items()]
    header = "# Written by deploy/local/stack.py on every start; edit kafka_settings() instead.\n"
    profile.kafka_properties.write_text(header + "\n".join(lines) + "\n")
    if (profile.kafka_dir / "data/meta.properties").exists():
        return
    data = relative(profile.kafka_dir / "data")
    print(f"kafka: formatting storage in {data} (first start only)", flush=True)
    command = [
        *kafka_jvm(java),
        "kafka.tools.StorageTool",
        "format",
        "--standalone",
        "--ignore-formatted",
        "--cluster-id",
        cluster_id(profile),
        "--config",
        str(profile.kafka_properties),
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        print(result.stdout + result.stderr, file=sys.stderr)
        raise StackError("formatting the Kafka storage failed; the tool's output is above")


# --- components ---------------------------------------------------------------------------------


def venv_python() -> str:
    python = ROOT / ".venv/bin/python"
    return str(python) if python.exists() else sys.executable


def external_servers(profile: Profile, environ: Mapping[str, str]) -> dict[str, str]:
    """Map each local server that the environment replaces to the variable that does so."""
    if not profile.environment_wins:
        return {}
    return {
        component: variable
        for component, variable in EXTERNAL_SERVER_VARIABLES.items()
        if environ.get(variable)
    }


def service_environment(profile: Profile, environ: Mapping[str, str]) -> dict[str, str]:
    servers = {
        "MONGODB_URL": f"mongodb://{HOST}:{profile.ferretdb_port}",
        "KAFKA_BOOTSTRAP_SERVERS": f"{HOST}:{profile.kafka_port}",
        "SMTP_HOST": HOST,
        "SMTP_PORT": str(profile.smtp_port),
        "NOTIFY_PUBLIC_BASE_URL": f"http://{HOST}:{profile.reports_port}",
        "REPORTS_PUBLIC_BASE_URL": f"http://{HOST}:{profile.reports_port}",
        # Department and lead mails link the staff page of the reports service of this profile.
        "ROUTING_STAFF_URL_TEMPLATE": f"http://{HOST}:{profile.reports_port}/staff/reports/{{report_id}}",
        "NOTIFY_STAFF_URL_TEMPLATE": f"http://{HOST}:{profile.reports_port}/staff/reports/{{report_id}}",
        "NOTIFY_SENT_JOURNAL_DIR": str(profile.state_dir / "notify-journal"),
    }
    if not profile.environment_wins:
        # The tests submit hundreds of reports from one address; they test the limit itself
        # in-process, where its window is under control.
        servers["REPORTS_SUBMISSIONS_PER_MINUTE"] = "100000"
        # Spans as JSON lines, so the tests can follow one report's trace through all services.
        servers["TRACES_DIR"] = str(profile.state_dir / "traces")
    servers |= oidc_server.service_settings(profile.reports_port, environ, profile.environment_wins)
    env = dict(environ)
    for name, value in servers.items():
        if profile.environment_wins:
            env.setdefault(name, value)
        else:
            env[name] = value
    # The ports are always the profile's: health checks and status look for the services there.
    env["REPORTS_PORT"] = str(profile.reports_port)
    env["ROUTING_PORT"] = str(profile.routing_port)
    env["NOTIFY_PORT"] = str(profile.notify_port)
    env["FLEET_PORT"] = str(profile.fleet_port)
    env["PYTHONUNBUFFERED"] = "1"
    return env


def components(profile: Profile, environ: Mapping[str, str] | None = None) -> dict[str, Component]:
    environ = os.environ if environ is None else environ
    replaced = external_servers(profile, environ)
    java = java_command()
    python = venv_python()
    python_env = service_environment(profile, environ)
    on_postgresql = postgresql_cluster.backend(environ) == "postgresql"
    postgresql_bin: list[Path] = []  # filled by the cluster's prepare, read by its command

    def prepare_postgresql() -> None:
        shown_as = relative(profile.postgresql_dir)
        postgresql_bin[:] = [postgresql_cluster.prepare(profile.postgresql_dir, shown_as)]

    if on_postgresql:
        storage = ["-backend", "postgresql", "-postgresql-url"]
        storage.append(postgresql_cluster.url(HOST, profile.postgresql_port))
    else:
        storage = ["-backend", "sqlite", "-data", str(profile.ferretdb_dir)]
    service_ports = {
        "reports": profile.reports_port,
        "routing": profile.routing_port,
        "notify": profile.notify_port,
        "fleet": profile.fleet_port,
    }
    found = [
        Component(
            "kafka",
            profile.kafka_port,
            (*kafka_jvm(java), "kafka.Kafka", str(profile.kafka_properties)),
            kafka_answers,
            cwd=profile.kafka_dir,  # where a crashing JVM drops its hs_err file
            prepare=lambda: prepare_kafka(profile, java),
            start_timeout=90,
            stop_timeout=30,
            replaced_by=replaced.get("kafka"),
        ),
        Component(
            "postgresql",
            profile.postgresql_port,
            (),
            lambda port: postgresql_cluster.answers(HOST, port),
            prepare=prepare_postgresql,
            command=lambda: postgresql_cluster.server_command(
                postgresql_bin[0], profile.postgresql_dir, HOST, profile.postgresql_port
            ),
            # Fast shutdown: SIGTERM would wait for FerretDB's sessions to end.
            stop_signal=signal.SIGINT,
            used=on_postgresql,
            replaced_by=replaced.get("postgresql"),
        ),
        Component(
            "ferretdb",
            profile.ferretdb_port,
            (str(FERRETDB_BINARY), "-listen", f"{HOST}:{profile.ferretdb_port}", *storage),
            mongodb_answers,
            prepare=lambda: prepare_ferretdb(profile.ferretdb_dir),
            replaced_by=replaced.get("ferretdb"),
        ),
        Component(
            "smtp",
            profile.smtp_port,
            (
                python,
                str(SMTP_SINK),
                "--port",
                str(profile.smtp_port),
                "--maildir",
                str(profile.mail_dir),
            ),
            smtp_answers,
            env=python_env,
            replaced_by=replaced.get("smtp"),
        ),
        Component(
            **oidc_server.component_fields(
                profile.reports_port,
                environ,
                profile.environment_wins,
                MissingPrerequisiteError,
                port_open,
            ),
            env=python_env,
        ),
        *(
            Component(
                name,
                service_ports[name],
                (python, "-m", module),
                service_is_live,
                env=python_env,
                # A service's imports alone took 50 s on two cores shared by seven test runs.
                start_timeout=180,
            )
            for name, module in SERVICE_MODULES.items()
        ),
    ]
    # Issue 21: STADTMELDER_REPLICAS=N splits each service into N processes (see replicas.py).
    found = replicas.expand(found, replica_count(profile, environ), python, service_is_live)
    return {component.name: component for component in found}


def replica_count(profile: Profile, environ: Mapping[str, str]) -> int:
    try:
        return replicas.count(profile.state_dir, environ)
    except ValueError as error:
        raise StackError(str(error)) from None


def select(
    names: Sequence[str], *, reverse: bool = False, order: Sequence[str] = ORDER
) -> list[str]:
    names = replicas.widen(names, order)
    unknown = sorted(set(names) - set(order))
    if unknown:
        raise StackError(f"unknown component {', '.join(unknown)}; choose from {', '.join(order)}")
    chosen = [name for name in order if not names or name in names]
    return chosen[::-1] if reverse else chosen


# --- processes ----------------------------------------------------------------------------------


# An exited process stays a zombie until its parent reaps it. A detached process's parent is
# PID 1, which in containers often reaps late or never, so on Linux zombies count as gone.
def is_alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaps it if it is our own child and has exited
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if not _has_proc():
        return True
    fields = _proc_stat(Path(f"/proc/{pid}/stat"))
    return fields is not None and fields[0] != "Z"


def group_is_alive(pgid: int) -> bool:
    is_alive(pgid)
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    if not _has_proc():
        return True
    for stat in Path("/proc").glob("[0-9]*/stat"):
        fields = _proc_stat(stat)
        if fields is not None and fields[0] != "Z" and int(fields[2]) == pgid:
            return True
    return False


def _has_proc() -> bool:
    return Path("/proc/self/stat").exists()


def _proc_stat(stat: Path) -> list[str] | None:
    """Return the fields after "(comm)" of /proc/<pid>/stat: state, ppid, pgrp, ..."""
    try:
        text = stat.read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def running_pid(profile: Profile, name: str) -> int | None:
    """Return the pid from the pid file if that process is still the one this script started."""
    try:
        pid = int(profile.pid_file(name).read_text().strip())
    except (FileNotFoundError, ValueError):
        return None
    # Started in its own session, so it leads its process group; a recycled pid rarely does.
    try:
        leads_group = os.getpgid(pid) == pid
    except ProcessLookupError:
        return None
    return pid if leads_group and is_alive(pid) else None


def launch(profile: Profile, component: Component) -> subprocess.Popen[bytes]:
    log = profile.log_file(component.name)
    log.parent.mkdir(parents=True, exist_ok=True)
    if log.exists():
        log.replace(log.with_name(log.name + ".1"))  # keep the previous run's log, once
    pid_file = profile.pid_file(component.name)
    pid_file.parent.mkdir(parents=True, exist_ok=True)
    component.cwd.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as output:
        process = subprocess.Popen(
            component.command() if component.command else component.argv,
            cwd=component.cwd,
            env=component.env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pid_file.write_text(f"{process.pid}\n")
    return process


def wait_until_ready(
    profile: Profile, component: Component, pid: int, process: subprocess.Popen[bytes] | None
) -> None:
    name, port = component.name, component.port
    print(f"{name}: starting on {HOST}:{port} ", end="", flush=True)
    began = time.monotonic()
    dots = 0
    while not component.is_ready(port):
        elapsed = time.monotonic() - began
        code = process.poll() if process is not None else None
        if code is not None or not is_alive(pid):
            how = f"exited with code {code}" if code is not None else "exited"
            fail_start(profile, component, f"{name} {how} before accepting connections")
        if elapsed > component.start_timeout:
            stop_group(pid, signal.SIGKILL, 5)
            fail_start(
                profile,
                component,
                f"{name} did not accept connections within {component.start_timeout:.0f} s "
                "and was killed",
            )
        if int(elapsed) > dots:
            dots += 1
            print(".", end="", flush=True)
        time.sleep(0.2)
    print(f" ready after {time.monotonic() - began:.1f} s")


def fail_start(profile: Profile, component: Component, reason: str) -> None:
    print(file=sys.stderr, flush=True)
    log = profile.log_file(component.name)
    print(f"--- last {LOG_TAIL_ON_FAILURE} lines of {relative(log)} ---", file=sys.stderr)
    for line in tail(log, LOG_TAIL_ON_FAILURE):
        print(line, file=sys.stderr)
    print("---", file=sys.stderr)
    profile.pid_file(component.name).unlink(missing_ok=True)
    raise StackError(reason)


def stop_group(pgid: int, signum: signal.Signals, timeout: float) -> bool:
    """Signal the process group and wait up to timeout for all of it to exit."""
    try:
        os.killpg(pgid, signum)
    except ProcessLookupError:
        return True
    deadline = time.monotonic() + timeout
    while group_is_alive(pgid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def tail(path: Path, count: int) -> list[str]:
    try:
        with path.open("rb") as file:
            file.seek(max(0, file.seek(0, os.SEEK_END) - 256 * 1024))
            text = file.read().decode(errors="replace")
    except FileNotFoundError:
        return []
    return text.splitlines()[-count:]


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


# --- commands -----------------------------------------------------------------------------------


def start(profile: Profile, names: Sequence[str] = ()) -> None:
    table = components(profile)
    if "ferretdb" in names and table["postgresql"].used:
        names = ["postgresql", *names]  # FerretDB on PostgreSQL needs its cluster first
    replicas.remember(profile.state_dir, replica_count(profile, os.environ))
    # The replicas of one service start side by side: launched together, then waited for.
    for batch in replicas.batches(select(names, order=list(table))):
        launched = [
            (table[name], start_component(profile, table[name], wait=False)) for name in batch
        ]
        for component, process in launched:
            if process is not None:
                wait_until_ready(profile, component, process.pid, process)


def start_component(
    profile: Profile, component: Component, *, wait: bool = True
) -> subprocess.Popen[bytes] | None:
    """Start it unless it runs; without `wait`, return the launched process to wait for."""
    name, port = component.name, component.port
    if component.replaced_by:
        print(f"{name}: not started, {component.replaced_by} points to an external server")
        return None
    if not component.used:
        print(f"{name}: not used, FerretDB runs on SQLite ({NOT_USED_HINT})")
        return None
    pid = running_pid(profile, name)
    if pid is not None:
        if component.is_ready(port):
            print(f"{name}: already running on {HOST}:{port}")
        else:
            print(f"{name}: process {pid} is still starting; waiting for it")
            wait_until_ready(profile, component, pid, None)
        return None
    profile.pid_file(name).unlink(missing_ok=True)
    if port_open(port):
        print(f"{name}: already running on {HOST}:{port} (not started by this script)")
        return None
    if component.prepare is not None:
        component.prepare()
    process = launch(profile, component)
    if not wait:
        return process
    wait_until_ready(profile, component, process.pid, process)
    return None


def stop(profile: Profile, names: Sequence[str] = (), *, kill: bool = False) -> None:
    table = components(profile)
    for name in select(names, reverse=True, order=list(table)):
        stop_component(profile, table[name], kill=kill)
    if not names:
        replicas.forget(profile.state_dir)  # the next start has one replica unless told otherwise


def stop_component(profile: Profile, component: Component, *, kill: bool = False) -> None:
    name = component.name
    pid = running_pid(profile, name)
    profile_pid_file = profile.pid_file(name)
    if pid is None:
        profile_pid_file.unlink(missing_ok=True)
        if component.used:
            print(f"{name}: not running")
        return
    if kill:
        stopped = stop_group(pid, signal.SIGKILL, 5)
        outcome = "stopped (killed)"
    else:
        stopped = stop_group(pid, component.stop_signal, component.stop_timeout)
        outcome = "stopped"
        if not stopped:
            stopped = stop_group(pid, signal.SIGKILL, 5)
            outcome = f"stopped (killed after {component.stop_timeout:.0f} s without exiting)"
    if not stopped:
        raise StackError(f"{name} (process group {pid}) survived SIGKILL")
    profile_pid_file.unlink(missing_ok=True)
    print(f"{name}: {outcome}")


def reset(profile: Profile) -> None:
    """Stop everything of the profile and delete its data, logs and mails (downloads stay)."""
    stop(profile)
    data = [
        profile.ferretdb_dir,
        profile.postgresql_dir,
        profile.mail_dir,
        profile.state_dir / "log",
        profile.state_dir / "notify-journal",
    ]
    data += [path for path in profile.kafka_dir.glob("*") if path != KAFKA_LIBS]
    for path in data:
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    print(f"reset: deleted the data, logs and mails under {relative(profile.state_dir)}")


def status(profile: Profile, names: Sequence[str] = ()) -> list[str]:
    table = components(profile)
    return [describe(profile, table[name]) for name in select(names, order=list(table))]


def describe(profile: Profile, component: Component) -> str:
    name, port = component.name, component.port
    pid = running_pid(profile, name)
    if pid is not None and component.is_ready(port):
        return f"{name}: running (pid {pid}, {HOST}:{port})"
    if pid is not None:
        return f"{name}: starting or not answering (pid {pid}, {HOST}:{port})"
    if port_open(port):
        return f"{name}: running, not started by this script ({HOST}:{port})"
    if component.replaced_by:
        return f"{name}: external ({component.replaced_by} is set)"
    if not component.used:
        return f"{name}: not used, FerretDB runs on SQLite ({NOT_USED_HINT})"
    return f"{name}: stopped"


def logs(profile: Profile, names: Sequence[str] = ()) -> None:
    for name in select(names, order=list(components(profile))):
        log = profile.log_file(name)
        print(f"==> {relative(log)} <==")
        lines = tail(log, LOG_TAIL_ON_REQUEST)
        print("\n".join(lines) if lines else "(empty or not written yet)")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--profile", choices=sorted(PROFILES), default="run")
    parser.add_argument("--kill", action="store_true", help="stop: SIGKILL at once")
    parser.add_argument("command", choices=("start", "stop", "reset", "status", "logs"))
    parser.add_argument("components", nargs="*", metavar="component", help=", ".join(ORDER))
    args = parser.parse_intermixed_args(argv)
    if args.kill and args.command != "stop":
        parser.error("--kill only goes with stop")
    unknown = sorted(name for name in args.components if not replicas.is_known(name, ORDER))
    if unknown:
        parser.error(f"unknown component {', '.join(unknown)} (choose from {', '.join(ORDER)})")
    profile = PROFILES[args.profile]
    try:
        if args.command == "start":
            start(profile, args.components)
        elif args.command == "stop":
            stop(profile, args.components, kill=args.kill)
        elif args.command == "reset":
            reset(profile)
        elif args.command == "status":
            print("\n".join(status(profile, args.components)))
        else:
            logs(profile, args.components)
    except (StackError, postgresql_cluster.ClusterError) as error:
        print(f"stack: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("\nstack: interrupted; started processes keep running (see status)", file=sys.stderr)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
