"""The platform review's rules fail a rendered overlay that breaks them, naming the object.

Each case breaks one rule in a copy of deploy/k8s and renders the overlay with the pinned
kubectl; the rules (hardening.py) and reference checks (references.py) run in this process, as
`make k8s-validate` runs them after the schemas (test_k8s_references runs the whole command).
"""

import functools
import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

from tests.unit.test_k8s_references import K8S, Break, production_copy
from tests.unit.test_k8s_settings import load_kubectl
from tests.unit.test_k8s_validation import replace_once

ZERO_DIGEST = "digest: sha256:" + "0" * 63 + "2\n"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return production_copy(tmp_path_factory.mktemp("pristine") / "k8s")


@functools.cache
def checker(name: str) -> ModuleType:
    """A module of deploy/k8s; they import each other by name, as validate.py runs them."""
    sys.path.insert(0, str(K8S))
    try:
        return importlib.import_module(name)
    finally:
        sys.path.remove(str(K8S))


def render(directory: Path) -> list[dict[str, Any]]:
    kubectl = load_kubectl().find_or_install()
    result = subprocess.run(
        [str(kubectl), "kustomize", str(directory)], capture_output=True, text=True, check=True
    )
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def problems(k8s: Path, overlay: str) -> list[str]:
    manifests = render(k8s / "overlays" / overlay)
    platform = render(k8s / "platform")
    rules: list[str] = checker("hardening").violations(manifests)
    references: list[str] = checker("references").problems(manifests, platform)
    return rules + references


CASES = {
    "metrics port routed to the public": Break(
        "prod",
        "base/reports/httproute.yaml",
        "        - name: reports\n          port: 80\n",
        "        - name: reports-metrics\n          port: 9090\n",
        ("HTTPRoute/reports: routes Service/reports-metrics port 9090, the metrics port",),
    ),
    "trigger authentication secret that exists nowhere": Break(
        "prod",
        "base/keda/triggerauthentication.yaml",
        "name: keda-lag-reader, key: password",
        "name: keda-reader, key: password",
        ("TriggerAuthentication/keda-kafka: Secret 'keda-reader' exists nowhere",),
    ),
    "anonymous kafka super user": Break(
        "prod",
        "platform/kafka.yaml",
        "    authorization:\n      type: simple\n",
        "    authorization:\n      type: simple\n      superUsers: [ANONYMOUS]\n",
        ("Kafka/stadtmelder: superUsers ['ANONYMOUS'] bypass every ACL",),
    ),
    "production image by tag": Break(
        "prod",
        "overlays/prod/kustomization.yaml",
        ZERO_DIGEST,
        "newTag: 0.1.0\n",
        (
            "Deployment/routing: production image "
            "'registry.example.invalid/stadtmelder/routing:0.1.0' is not pinned by digest",
        ),
    ),
    "production secret written into the overlay": Break(
        "prod",
        "overlays/prod/kustomization.yaml",
        "patches:\n",
        "secretGenerator:\n  - name: stadtmelder-links\n    literals: [NOTIFY_LINK_SECRET=x]\n"
        "patches:\n",
        ("in production Secrets come from the secret store, not git",),
    ),
    "mongodb egress to any address": Break(
        "prod",
        "base/network/mongodb.yaml",
        "cidr: 198.51.100.0/24",
        "cidr: 0.0.0.0/0",
        ("NetworkPolicy/allow-mongodb: egress on 27017 (MongoDB) is open to any address",),
    ),
    "pdb blocking drains while pods are unready": Break(
        "prod",
        "base/reports/pdb.yaml",
        "  unhealthyPodEvictionPolicy: AlwaysAllow\n",
        "",
        ("PodDisruptionBudget/reports: needs unhealthyPodEvictionPolicy: AlwaysAllow",),
    ),
    "spread counting tainted nodes": Break(
        "prod",
        "base/notify/deployment.yaml",
        "          # Nodes the pods cannot run on (tainted, cordoned for a drain) do not count.\n"
        "          nodeTaintsPolicy: Honor\n",
        "",
        (
            "Deployment/notify: topology spread on topology.kubernetes.io/zone "
            "needs nodeTaintsPolicy: Honor",
        ),
    ),
    "keda cooldown that does nothing": Break(
        "prod",
        "base/routing/scaledobject.yaml",
        "  pollingInterval: 15\n",
        "  pollingInterval: 15\n  cooldownPeriod: 300\n",
        ("ScaledObject/routing: cooldownPeriod does nothing with minReplicaCount >= 1",),
    ),
    "keda scaling out on a new consumer group": Break(
        "prod",
        "base/notify/scaledobject.yaml",
        '        topic: reports.overdue\n        lagThreshold: "100"\n'
        "        offsetResetPolicy: latest\n",
        '        topic: reports.overdue\n        lagThreshold: "100"\n'
        "        offsetResetPolicy: earliest\n",
        ("ScaledObject/notify: trigger notify-reports-overdue: offsetResetPolicy must be latest",),
    ),
    "no alert when every target is gone": Break(
        "prod",
        "base/monitoring/prometheusrule.yaml",
        'absent(up{job="reports"}) or absent(up{job="routing"})\n'
        '            or absent(up{job="notify"}) or absent(up{job="fleet"})',
        'count(up{job=~"reports|routing|notify|fleet"}) < 4',
        ("PrometheusRule/stadtmelder: `up == 0` is silent when no target is left",),
    ),
}


@pytest.mark.parametrize("case", CASES, ids=lambda name: name.replace(" ", "-"))
def test_a_broken_rule_fails_the_overlay_naming_the_object(
    case: str, pristine: Path, tmp_path: Path
) -> None:
    broken = CASES[case]
    k8s = tmp_path / "k8s"
    shutil.copytree(pristine, k8s)
    replace_once(k8s / broken.path, broken.old, broken.new)

    found = "\n".join(problems(k8s, broken.overlay))

    for expected in broken.expected:
        assert expected in found, found


@pytest.mark.parametrize("overlay", ["prod", "prod-ingress"])
def test_the_production_overlays_keep_every_rule(pristine: Path, overlay: str) -> None:
    assert problems(pristine, overlay) == []
