"""A throwaway etcd and kube-apiserver on this machine, for the server-side dry run of deploy/k8s.

Both are built from the Go module proxy by the small module in deploy/k8s/dryrun (its go.mod pins
the versions) and kept under var/tools keyed by that go.mod and go.sum, so only the first run
compiles. Each run gets a fresh data directory, its own CA, serving certificate, service-account
key and client token under var/, and ports shifted by STADTMELDER_TEST_PORT_OFFSET.
"""

import contextlib
import hashlib
import os
import re
import shutil
import signal
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import certificates

ROOT = Path(__file__).resolve().parents[2]
MODULE = Path(__file__).resolve().parent / "dryrun"
TOOLS = ROOT / "var" / "tools"
STATE = ROOT / "var" / "k8s-dry-run"
PACKAGES = {
    "etcd": "go.etcd.io/etcd/server/v3",
    "kube-apiserver": "k8s.io/kubernetes/cmd/kube-apiserver",
}
READY_TIMEOUT = 120.0


class ControlPlaneError(Exception):
    """etcd or kube-apiserver could not be built or did not come up."""


@dataclass(frozen=True)
class Binaries:
    kubernetes: str
    etcd_version: str
    kube_apiserver: Path
    etcd: Path


@dataclass(frozen=True)
class Ports:
    etcd_client: int
    etcd_peer: int
    apiserver: int

    @classmethod
    def shifted(cls, offset: int) -> "Ports":
        return cls(etcd_client=12379 + offset, etcd_peer=12380 + offset, apiserver=16443 + offset)


@dataclass(frozen=True)
class Cluster:
    """A running API server, and the kubeconfig that reaches it as a cluster admin."""

    version: str
    url: str
    kubeconfig: Path


def pinned_version(module: str, go_mod: str) -> str:
    match = re.search(rf"^\s*{re.escape(module)} (v\S+)", go_mod, re.MULTILINE)
    if match is None:
        raise ControlPlaneError(f"{MODULE / 'go.mod'} pins no version of {module}")
    return match[1]


def binaries(module: Path = MODULE, tools: Path = TOOLS) -> Binaries:
    """Where this go.mod's binaries live: a change to go.mod or go.sum names a new directory."""
    go_mod = (module / "go.mod").read_text(encoding="utf-8")
    go_sum = (module / "go.sum").read_text(encoding="utf-8")
    kubernetes = pinned_version("k8s.io/kubernetes", go_mod)
    etcd = pinned_version("go.etcd.io/etcd/server/v3", go_mod)
    key = hashlib.sha256((go_mod + go_sum).encode()).hexdigest()[:12]
    directory = tools / f"control-plane-kubernetes-{kubernetes}-etcd-{etcd}-{key}"
    return Binaries(kubernetes, etcd, directory / "kube-apiserver", directory / "etcd")


def build(module: Path = MODULE, tools: Path = TOOLS) -> Binaries:
    """The pinned binaries, compiled on first use (about 12 minutes on 2 cores, once)."""
    wanted = binaries(module, tools)
    if wanted.kube_apiserver.exists() and wanted.etcd.exists():
        return wanted
    go = shutil.which("go")
    if go is None:
        raise ControlPlaneError("building kube-apiserver and etcd needs Go 1.24+ on the PATH")
    print(
        f"k8s-dry-run: building kube-apiserver {wanted.kubernetes} and etcd {wanted.etcd_version}"
        " from the Go module proxy (first run only, about 12 minutes on 2 cores) ...",
        flush=True,
    )
    # Built beside and renamed, so an interrupted build never looks like a finished one.
    final = wanted.kube_apiserver.parent
    partial = final.with_name(final.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    for name, package in PACKAGES.items():
        command = [go, "build", "-trimpath", "-o", str(partial / name), package]
        # GOWORK=off: a go.work above the checkout must not pull other modules into this build.
        environment = {**os.environ, "GOWORK": "off"}
        built = subprocess.run(
            command, cwd=module, env=environment, stdin=subprocess.DEVNULL, check=False
        )
        if built.returncode:
            raise ControlPlaneError(f"go build {package} failed; its output above says why")
    shutil.rmtree(final, ignore_errors=True)
    partial.rename(final)
    return wanted


@contextlib.contextmanager
def running(found: Binaries, ports: Ports, state: Path = STATE) -> Iterator[Cluster]:
    """etcd and kube-apiserver started on fresh state, stopped (and the state removed) after."""
    shutil.rmtree(state, ignore_errors=True)
    state.mkdir(parents=True)
    url = f"https://127.0.0.1:{ports.apiserver}"
    files = certificates.write(state / "pki")
    with contextlib.ExitStack() as stack:
        etcd_url = f"http://127.0.0.1:{ports.etcd_client}"
        peer_url = f"http://127.0.0.1:{ports.etcd_peer}"
        etcd_command = [
            str(found.etcd),
            f"--data-dir={state / 'etcd'}",
            f"--listen-client-urls={etcd_url}",
            f"--advertise-client-urls={etcd_url}",
            f"--listen-peer-urls={peer_url}",
            f"--initial-advertise-peer-urls={peer_url}",
            f"--initial-cluster=default={peer_url}",
            # Nothing here outlives the run: durability buys nothing and costs seconds.
            "--unsafe-no-fsync",
        ]
        etcd = stack.enter_context(process(etcd_command, state / "etcd.log"))
        apiserver_command = [
            str(found.kube_apiserver),
            f"--etcd-servers={etcd_url}",
            "--bind-address=127.0.0.1",
            "--advertise-address=127.0.0.1",
            f"--secure-port={ports.apiserver}",
            f"--tls-cert-file={files.serving_cert}",
            f"--tls-private-key-file={files.serving_key}",
            f"--token-auth-file={files.tokens}",
            # RBAC as in a real cluster; the dry run's client is in system:masters.
            "--authorization-mode=RBAC",
            "--anonymous-auth=false",
            f"--service-account-issuer={url}",
            f"--service-account-key-file={files.service_account_public}",
            f"--service-account-signing-key-file={files.service_account_key}",
            "--service-cluster-ip-range=10.96.0.0/24",
            f"--cert-dir={state / 'apiserver'}",
        ]
        apiserver = stack.enter_context(process(apiserver_command, state / "apiserver.log"))
        wait_until_ready(url, files, {"etcd": etcd, "kube-apiserver": apiserver}, state)
        kubeconfig = certificates.kubeconfig(state / "kubeconfig", url, files)
        yield Cluster(found.kubernetes, url, kubeconfig)
    shutil.rmtree(state, ignore_errors=True)


@contextlib.contextmanager
def process(command: list[str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A server in its own process group, always stopped: on success, failure and Ctrl-C."""
    with log.open("wb") as output:
        started = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=output, stderr=output, start_new_session=True
        )
    try:
        yield started
    finally:
        stop(started)


def stop(started: subprocess.Popen[bytes]) -> None:
    if started.poll() is not None:
        return
    os.killpg(started.pid, signal.SIGTERM)
    try:
        started.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(started.pid, signal.SIGKILL)
        started.wait()


def wait_until_ready(
    url: str, files: certificates.Files, servers: dict[str, subprocess.Popen[bytes]], state: Path
) -> None:
    context = ssl.create_default_context(cafile=str(files.ca_cert))
    headers = {"Authorization": f"Bearer {files.token}"}
    request = urllib.request.Request(f"{url}/readyz", headers=headers)
    deadline = time.monotonic() + READY_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        for name, server in servers.items():
            if server.poll() is not None:
                log = state / f"{name.removeprefix('kube-')}.log"
                raise ControlPlaneError(
                    f"{name} exited {server.returncode}; its log ends:\n{tail(log)}"
                )
        try:
            with urllib.request.urlopen(request, context=context, timeout=5) as answer:
                if answer.status == 200:
                    return
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
        except (OSError, ssl.SSLError) as error:
            last = str(error)
        time.sleep(0.5)
    raise ControlPlaneError(
        f"kube-apiserver at {url} not ready after {READY_TIMEOUT:.0f} s ({last}); "
        f"its log ends:\n{tail(state / 'apiserver.log')}"
    )


def tail(path: Path, lines: int = 20) -> str:
    with contextlib.suppress(OSError), path.open("rb") as log:
        return b"".join(log.readlines()[-lines:]).decode(errors="replace")
    return "(no log)"
