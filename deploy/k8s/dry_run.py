"""`make k8s-dry-run`: every overlay applied with `--dry-run=server` to a real kube-apiserver.

The API server and etcd are built from the Go module proxy (control_plane.py), the operators'
CRDs come pinned from package registries (crd_sources.py). Each overlay is rendered with the
pinned kubectl, its namespaces are created for real (so their Pod Security labels apply), and
then all of it goes through `kubectl apply --dry-run=server --warnings-as-errors`: the server's
schemas, CRD validation rules and admission (Pod Security included) judge every object, and a
warning fails as an error does. The servers are stopped afterwards, on failure too.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import apply_output
import control_plane
import crd_sources
import kubectl
import validate
import yaml

K8S_DIR = Path(__file__).resolve().parent
CRD_TIMEOUT = 120.0


@dataclass
class Overlay:
    name: str
    accepted: int = 0
    namespaces: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


class Kubectl:
    """The pinned kubectl, pointed at the throwaway cluster."""

    def __init__(self, path: Path, cluster: control_plane.Cluster) -> None:
        self.path = path
        self.cluster = cluster

    def run(self, *arguments: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        command = [str(self.path), "--kubeconfig", str(self.cluster.kubeconfig), *arguments]
        # One stream: a warning is printed right before the line of the object it concerns.
        return subprocess.run(
            command,
            input=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            check=False,
            timeout=300,
        )


def install_crds(client: Kubectl, files: list[Path]) -> None:
    # Server-side: the Kafka CRD is larger than the annotation client-side apply would write.
    arguments = ["apply", "--server-side", "--force-conflicts"]
    arguments += [argument for path in files for argument in ("-f", str(path))]
    result = client.run(*arguments)
    if result.returncode != 0:
        raise control_plane.ControlPlaneError(f"installing the CRDs failed:\n{result.stdout}")
    # Polled rather than `kubectl wait`, which fails on a CRD that has no status yet.
    deadline = time.monotonic() + CRD_TIMEOUT
    while pending := not_established(client):
        if time.monotonic() > deadline:
            raise control_plane.ControlPlaneError(
                f"CRDs not established after {CRD_TIMEOUT:.0f} s: {', '.join(pending)}"
            )
        time.sleep(0.5)


def not_established(client: Kubectl) -> list[str]:
    result = client.run("get", "crd", "-o", "json")
    if result.returncode != 0:
        raise control_plane.ControlPlaneError(f"listing the CRDs failed:\n{result.stdout}")
    return [
        crd["metadata"]["name"]
        for crd in json.loads(result.stdout)["items"]
        if not any(
            condition["type"] == "Established" and condition["status"] == "True"
            for condition in crd.get("status", {}).get("conditions") or []
        )
    ]


def namespaces_first(client: Kubectl, manifests: list[dict[str, Any]]) -> list[str]:
    """Creates the overlay's namespaces for real: a dry run cannot put objects into a namespace
    that does not exist. Rendered Namespaces keep their labels (Pod Security); one that is only
    referenced is expected to exist where the overlay is applied, and is created bare. Applied
    client-side like the dry run after it, which would otherwise warn of the missing annotation."""
    rendered = [m for m in manifests if m.get("kind") == "Namespace"]
    names = {m["metadata"]["name"] for m in rendered}
    referenced = {m["metadata"]["namespace"] for m in manifests if m["metadata"].get("namespace")}
    bare = [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": n}}
        for n in sorted(referenced - names)
    ]
    if rendered or bare:
        result = client.run("apply", "-f", "-", stdin=yaml.safe_dump_all(rendered + bare))
        if result.returncode != 0:
            raise NamespaceError(result.stdout.strip())
    return sorted(names | referenced)


class NamespaceError(Exception):
    """The server refused the overlay's namespaces, so nothing else can be tried."""


def dry_run(kubectl_path: Path, client: Kubectl, directory: Path) -> Overlay:
    overlay = Overlay(directory.name)
    try:
        manifests = validate.render(kubectl_path, directory)
    except validate.RenderError as error:
        overlay.problems.append(f"kubectl kustomize failed: {error}")
        return overlay
    try:
        overlay.namespaces = namespaces_first(client, manifests)
    except NamespaceError as error:
        overlay.problems.append(f"creating the namespaces failed: {error}")
        return overlay
    result = client.run(
        "apply",
        "--dry-run=server",
        "--warnings-as-errors",
        "-f",
        "-",
        stdin=yaml.safe_dump_all(manifests),
    )
    overlay.accepted, overlay.problems = apply_output.read(result.stdout, manifests)
    if result.returncode != 0 and not overlay.problems:
        overlay.problems.append(
            f"kubectl apply exited {result.returncode}: {result.stdout.strip()}"
        )
    return overlay


def report(overlay: Overlay, version: str) -> None:
    status = "ok" if not overlay.problems else f"{len(overlay.problems)} problem(s)"
    print(f"overlay {overlay.name}: {status}")
    if overlay.accepted:
        print(
            f"  {overlay.accepted} objects accepted by kube-apiserver {version} in a server-side "
            f"dry run (namespaces: {', '.join(overlay.namespaces)})"
        )
    for problem in overlay.problems:
        print(f"  FAIL {problem}")
    # Shown as each overlay finishes, also when make or CI reads the output through a pipe.
    sys.stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k8s-dir", type=Path, default=K8S_DIR, help="overlays/ here")
    parser.add_argument("--kubectl", type=Path, help="use this kubectl instead of the pinned one")
    parser.add_argument("--uv", help="the uv that installs the pinned kubectl")
    parser.add_argument(
        "--port-offset",
        type=int,
        default=int(os.environ.get("STADTMELDER_TEST_PORT_OFFSET", "0")),
        help="shift etcd's and the API server's ports (default: STADTMELDER_TEST_PORT_OFFSET)",
    )
    args = parser.parse_args(argv)
    # A stop request (CI's timeout, `kill`) unwinds like Ctrl-C, so the servers are stopped too.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        kubectl_path = args.kubectl or kubectl.find_or_install(args.uv)
        found = control_plane.build()
        crds = crd_sources.ensure()
        started = time.monotonic()
        failed = False
        with control_plane.running(found, control_plane.Ports.shifted(args.port_offset)) as cluster:
            client = Kubectl(kubectl_path, cluster)
            install_crds(client, crds)
            for directory in sorted(p for p in (args.k8s_dir / "overlays").iterdir() if p.is_dir()):
                overlay = dry_run(kubectl_path, client, directory)
                report(overlay, cluster.version)
                failed = failed or bool(overlay.problems)
    except (
        kubectl.KubectlUnavailable,
        control_plane.ControlPlaneError,
        crd_sources.CrdSourceError,
    ) as error:
        print(f"k8s-dry-run: {error}", file=sys.stderr)
        return 2
    print(
        f"k8s-dry-run: {len(crds)} pinned CRDs, servers up and down in "
        f"{time.monotonic() - started:.0f} s"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
