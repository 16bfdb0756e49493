"""The deployment policy catches what would make a pod or an image unsafe to run."""

import copy
import importlib.util
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_policy() -> ModuleType:
    """deploy/k8s/policy.py is a script's module, not a package; load it by path."""
    spec = importlib.util.spec_from_file_location("k8s_policy", ROOT / "deploy/k8s/policy.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


policy = load_policy()

COMPLIANT: dict[str, Any] = {
    "apiVersion": "apps/v1",
    "kind": "Deployment",
    "metadata": {"name": "reports"},
    "spec": {
        "template": {
            "spec": {
                "automountServiceAccountToken": False,
                "securityContext": {
                    "runAsNonRoot": True,
                    "runAsUser": 10001,
                    "seccompProfile": {"type": "RuntimeDefault"},
                },
                "containers": [
                    {
                        "name": "reports",
                        "image": "registry.example.invalid/stadtmelder/reports:0.1.0",
                        "resources": {
                            "requests": {"cpu": "100m", "memory": "128Mi"},
                            "limits": {"cpu": "1", "memory": "256Mi"},
                        },
                        "livenessProbe": {"httpGet": {"path": "/health/live", "port": 8000}},
                        "readinessProbe": {"httpGet": {"path": "/health/ready", "port": 8000}},
                        "securityContext": {
                            "allowPrivilegeEscalation": False,
                            "readOnlyRootFilesystem": True,
                            "capabilities": {"drop": ["ALL"]},
                        },
                    }
                ],
            }
        }
    },
}


def broken(change: str, value: Any) -> dict[str, Any]:
    """COMPLIANT with one field (a dotted path from the pod spec) set to `value`, or removed."""
    manifest = copy.deepcopy(COMPLIANT)
    target: Any = manifest["spec"]["template"]["spec"]
    *parents, last = change.split(".")
    for part in parents:
        target = target[int(part)] if part.isdigit() else target[part]
    if value is None:
        del target[last]
    else:
        target[last] = value
    return manifest


def test_a_hardened_deployment_passes() -> None:
    assert policy.manifest_violations([COMPLIANT]) == []


@pytest.mark.parametrize(
    ("change", "value", "complaint"),
    [
        ("securityContext.runAsUser", 0, "runs as root"),
        ("securityContext.runAsNonRoot", None, "may run as root"),
        ("containers.0.resources.limits.memory", None, "has no memory limit"),
        ("containers.0.resources.limits.cpu", None, "has no cpu limit"),
        ("containers.0.resources.requests.memory", None, "has no memory request"),
        ("containers.0.image", "stadtmelder/reports:latest", "moving tag `latest`"),
        ("containers.0.image", "stadtmelder/reports", "has no tag"),
        ("containers.0.livenessProbe", None, "has no livenessProbe"),
        ("containers.0.readinessProbe", None, "has no readinessProbe"),
        ("automountServiceAccountToken", None, "automountServiceAccountToken must be false"),
        ("containers.0.securityContext.readOnlyRootFilesystem", None, "readOnlyRootFilesystem"),
        ("containers.0.securityContext.allowPrivilegeEscalation", True, "PrivilegeEscalation"),
        ("containers.0.securityContext.capabilities", None, "must drop all capabilities"),
        ("securityContext.seccompProfile", None, "seccompProfile"),
        ("hostNetwork", True, "must not share the node's network"),
    ],
)
def test_a_breach_of_the_pod_rules_is_named(change: str, value: Any, complaint: str) -> None:
    problems = policy.manifest_violations([broken(change, value)])

    assert len(problems) == 1, problems
    assert problems[0].startswith("Deployment/reports: ")
    assert complaint in problems[0]


def test_an_image_pinned_by_digest_passes() -> None:
    image = "registry.example.invalid/stadtmelder/reports@sha256:" + "ab" * 32
    assert policy.manifest_violations([broken("containers.0.image", image)]) == []


def test_a_service_account_that_mounts_its_token_is_named() -> None:
    account = {"apiVersion": "v1", "kind": "ServiceAccount", "metadata": {"name": "reports"}}

    assert policy.manifest_violations([account]) == [
        "ServiceAccount/reports: automountServiceAccountToken must be false"
    ]


SERVICES = ("reports", "routing", "notify", "fleet")
SHIPPED = (ROOT / "Dockerfile").read_text(encoding="utf-8")


def test_the_shipped_dockerfile_complies_for_every_service() -> None:
    assert policy.dockerfile_violations(SHIPPED, targets=SERVICES) == []


def test_a_service_without_its_own_stage_is_named() -> None:
    problems = policy.dockerfile_violations(SHIPPED, targets=(*SERVICES, "parking"))

    assert problems == ["no stage 'parking' to build the parking image from"]


def test_a_stage_inherits_the_user_and_health_check_of_the_stage_it_builds_on() -> None:
    without_base_user = SHIPPED.replace("USER 10001:10001\n", "")
    with_own_user = without_base_user.replace(
        "FROM runtime AS routing\n", "FROM runtime AS routing\nUSER 10001:10001\n"
    )

    problems = policy.dockerfile_violations(with_own_user, targets=SERVICES)

    assert problems == [
        "reports: the final stage has no USER: it would run as root",
        "notify: the final stage has no USER: it would run as root",
        "fleet: the final stage has no USER: it would run as root",
    ]


@pytest.mark.parametrize(
    ("old", "new", "complaint"),
    [
        ("python:3.11.14-slim-bookworm", "python:3.11-slim-bookworm", "exact x.y.z tag"),
        ("python:3.11.14-slim-bookworm", "python:latest", "moving tag `latest`"),
        ("python:3.11.14-slim-bookworm", "python", "has no tag"),
        ("USER 10001:10001", "USER stadtmelder", "must be numeric"),
        ("USER 10001:10001", "USER 0", "runs as root"),
        ("USER 10001:10001\n", "", "no USER"),
        ("--locked --no-dev --no-editable", "--frozen --no-dev --no-editable", "add --locked"),
        ("HEALTHCHECK", "# HEALTHCHECK", "no HEALTHCHECK"),
        ("ENV PATH=", "ENV NOTIFY_LINK_SECRET=abc PATH=", "bakes a secret"),
        (
            'ENTRYPOINT ["python", "-m", "stadtmelder_reports"]',
            "ENTRYPOINT python -m stadtmelder_reports",
            "exec form",
        ),
    ],
)
def test_a_breach_of_the_image_rules_is_named(old: str, new: str, complaint: str) -> None:
    assert old in SHIPPED
    changed = SHIPPED.replace(old, new)

    problems = policy.dockerfile_violations(changed, targets=SERVICES)

    assert any(complaint in problem for problem in problems), problems


def test_a_digest_pinned_base_image_passes() -> None:
    pinned = SHIPPED.replace(
        "python:3.11.14-slim-bookworm", "python:3.11.14-slim-bookworm@sha256:" + "cd" * 32
    )

    assert policy.dockerfile_violations(pinned, targets=SERVICES) == []
