"""`make k8s-validate`: renders every overlay, checks schemas, references, policy and alerts.

For each directory in deploy/k8s/overlays: `kubectl kustomize` renders it; every built-in
resource is validated strictly (unknown fields fail) with kubernetes-validate for each Kubernetes
version we target; custom resources against their CRD schemas where a package ships one, the
others are listed as not validated; then the policy (policy.py, hardening.py) applies, the
references between the objects are checked (references.py, against the platform's Kafka in
deploy/k8s/platform too), and promtool checks the PrometheusRules' alerts. The services'
Dockerfiles get their own policy, and the generated Strimzi resources must match the code.
"""

import argparse
import functools
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import crds
import hardening
import jsonschema
import kubectl
import kubernetes_validate  # type: ignore[import-untyped]
import kubernetes_validate.utils  # type: ignore[import-untyped]
import policy
import promtool
import references
import strimzi
import yaml

K8S_DIR = Path(__file__).resolve().parent
ROOT = K8S_DIR.parents[1]
# The oldest Kubernetes we support, and the newest kubernetes-validate knows (catches removals).
KUBERNETES_VERSIONS = ("1.33.0", "1.37.0")
SERVICES = ("reports", "routing", "notify", "fleet")

# kubernetes-validate parses its multi-megabyte definitions file again for every resource; kept
# in memory once parsed, three overlays take about a second instead of ten.
_parse_once = functools.cache(kubernetes_validate.utils.schema_contents)
kubernetes_validate.utils.schema_contents = _parse_once


@dataclass
class Overlay:
    name: str
    resources: int = 0
    built_in: int = 0
    custom: Counter[str] = field(default_factory=Counter)
    unchecked: Counter[str] = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)


def render(kubectl_path: Path, directory: Path) -> list[dict[str, Any]]:
    result = subprocess.run(
        [str(kubectl_path), "kustomize", str(directory)],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise RenderError(result.stderr.strip() or f"kubectl kustomize exited {result.returncode}")
    return [doc for doc in yaml.load_all(result.stdout, Loader=yaml.CSafeLoader) if doc]


class RenderError(Exception):
    """kubectl could not render an overlay."""


def built_in_problems(manifest: dict[str, Any], versions: tuple[str, ...]) -> list[str] | None:
    """Schema errors of a built-in resource, or None when Kubernetes has no such kind."""
    problems = []
    for version in versions:
        try:
            kubernetes_validate.validate(manifest, version, strict=True)
        except kubernetes_validate.SchemaNotFoundError:
            return None
        except kubernetes_validate.ValidationError as error:
            where = ".".join(str(part) for part in error.path) or "(top level)"
            problems.append(f"Kubernetes {error.version}: {where}: {error.message}")
    return problems


def custom_problems(manifest: dict[str, Any]) -> list[str] | None:
    """Schema errors of a custom resource, or None when no package ships its schema."""
    schema = crds.schema_for(str(manifest.get("apiVersion")), str(manifest.get("kind")))
    if schema is None:
        return None
    validator = jsonschema.Draft202012Validator(schema)
    return [
        f"{'.'.join(str(p) for p in error.path) or '(top level)'}: {error.message}"
        for error in validator.iter_errors(manifest)
    ]


@dataclass(frozen=True)
class Tools:
    kubectl: Path
    promtool: Path
    # What the platform runs beside every overlay (deploy/k8s/platform): the Kafka cluster.
    platform: tuple[dict[str, Any], ...] = ()


def check_overlay(tools: Tools, directory: Path, versions: tuple[str, ...]) -> Overlay:
    overlay = Overlay(directory.name)
    try:
        manifests = render(tools.kubectl, directory)
    except RenderError as error:
        overlay.problems.append(f"kubectl kustomize failed: {error}")
        return overlay
    overlay.resources = len(manifests)
    for manifest in manifests:
        kind = str(manifest.get("kind"))
        name = f"{kind}/{manifest.get('metadata', {}).get('name')}"
        problems = built_in_problems(manifest, versions)
        if problems is not None:
            overlay.built_in += 1
        else:
            problems = custom_problems(manifest)
            counter = overlay.custom if problems is not None else overlay.unchecked
            counter[f"{kind} ({manifest.get('apiVersion')})"] += 1
        overlay.problems += [f"{name}: {problem}" for problem in problems or []]
    overlay.problems += [f"policy: {p}" for p in policy.manifest_violations(manifests)]
    overlay.problems += [f"policy: {p}" for p in hardening.violations(manifests)]
    overlay.problems += [f"reference: {p}" for p in references.problems(manifests, tools.platform)]
    overlay.problems += promtool.check_rules(tools.promtool, manifests)
    return overlay


def report(overlay: Overlay, versions: tuple[str, ...]) -> None:
    minors = " and ".join(v.rsplit(".", 1)[0] for v in versions)
    status = "ok" if not overlay.problems else f"{len(overlay.problems)} problem(s)"
    print(f"overlay {overlay.name}: {status}")
    if overlay.resources:
        print(f"  {overlay.resources} resources rendered with kubectl kustomize")
        print(f"  {overlay.built_in} built-in, strictly valid for Kubernetes {minors}")
    for kind, count in sorted(overlay.custom.items()):
        print(f"  {count} × {kind} checked against its CRD schema")
    for kind, count in sorted(overlay.unchecked.items()):
        print(f"  {count} × {kind} NOT validated: no CRD schema from a package registry")
    for problem in overlay.problems:
        print(f"  FAIL {problem}")


def dockerfile_problems(root: Path) -> list[str]:
    """The one Dockerfile, checked for each service's image (its `--target`)."""
    path = root / "Dockerfile"
    if not path.exists():
        return [f"{path.relative_to(root)}: missing"]
    text = path.read_text(encoding="utf-8")
    violations = policy.dockerfile_violations(text, targets=SERVICES)
    return [f"{path.relative_to(root)}: {p}" for p in violations]


def strimzi_problems(k8s_dir: Path) -> list[str]:
    return [
        f"{path.relative_to(k8s_dir)} differs from the code: run deploy/k8s/strimzi.py"
        for path, text in strimzi.generated_files(output=k8s_dir / "base" / "kafka").items()
        if not path.exists() or path.read_text(encoding="utf-8") != text
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--k8s-dir", type=Path, default=K8S_DIR, help="base/ and overlays/ here")
    parser.add_argument("--repo", type=Path, default=ROOT, help="where the Dockerfile is")
    parser.add_argument("--kubectl", type=Path, help="use this kubectl instead of the pinned one")
    parser.add_argument("--uv", help="the uv that installs the pinned kubectl")
    parser.add_argument("--overlay", action="append", help="check only this overlay (repeatable)")
    args = parser.parse_args(argv)
    try:
        kubectl_path = args.kubectl or kubectl.find_or_install(args.uv)
        tools = Tools(kubectl_path, promtool.find_or_build())
        platform = args.k8s_dir / "platform"
        if platform.is_dir():
            tools = Tools(kubectl_path, tools.promtool, tuple(render(kubectl_path, platform)))
    except (kubectl.KubectlUnavailable, promtool.PromtoolUnavailable, RenderError) as error:
        print(f"k8s-validate: {error}", file=sys.stderr)
        return 2
    failed = False
    overlays = sorted(p for p in (args.k8s_dir / "overlays").iterdir() if p.is_dir())
    for directory in [d for d in overlays if not args.overlay or d.name in args.overlay]:
        overlay = check_overlay(tools, directory, KUBERNETES_VERSIONS)
        report(overlay, KUBERNETES_VERSIONS)
        failed = failed or bool(overlay.problems)
    for title, problems in (
        ("Dockerfiles", dockerfile_problems(args.repo)),
        ("Strimzi resources", strimzi_problems(args.k8s_dir)),
    ):
        print(f"{title}: {'ok' if not problems else f'{len(problems)} problem(s)'}")
        for problem in problems:
            print(f"  FAIL {problem}")
        failed = failed or bool(problems)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
