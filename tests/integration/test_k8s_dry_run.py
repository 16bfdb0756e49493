"""`make k8s-dry-run` fails, naming the object, when the real API server rejects or warns.

The command runs as the Makefile runs it, on a copy of deploy/k8s whose prod overlay breaks
things that the schema checks of `make k8s-validate` let through or cannot see: a KafkaTopic
patched with `replicas: one`, a kind no installed CRD serves, a Pod that Pod Security admission
would refuse, and an unknown field that the server only warns about.
"""

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.system import ROOT

pytestmark = pytest.mark.integration

DRY_RUN = ROOT / "deploy" / "k8s" / "dry_run.py"


def dry_run(k8s_dir: Path) -> tuple[int, str]:
    # The first run builds kube-apiserver and etcd (minutes); `make test` has done it already.
    result = subprocess.run(
        [sys.executable, str(DRY_RUN), "--k8s-dir", str(k8s_dir)],
        capture_output=True,
        text=True,
        check=False,
        timeout=1800,
    )
    return result.returncode, result.stdout + result.stderr


def json_patch(kind: str, name: str, *operations: dict[str, Any]) -> dict[str, Any]:
    return {"target": {"kind": kind, "name": name}, "patch": yaml.safe_dump(list(operations))}


@pytest.fixture
def broken_prod(tmp_path: Path) -> Path:
    """deploy/k8s with the base and the prod overlay, the overlay breaking four objects."""
    k8s = tmp_path / "k8s"
    shutil.copytree(ROOT / "deploy" / "k8s" / "base", k8s / "base")
    overlay = k8s / "overlays" / "prod"
    shutil.copytree(ROOT / "deploy" / "k8s" / "overlays" / "prod", overlay)
    typo = {
        "apiVersion": "kafka.strimzi.io/v1",
        "kind": "KafkaTopc",
        "metadata": {"name": "typo", "labels": {"strimzi.io/cluster": "stadtmelder"}},
        "spec": {"partitions": 1, "replicas": 3},
    }
    (overlay / "typo.yaml").write_text(yaml.safe_dump(typo), encoding="utf-8")
    kustomization = yaml.safe_load((overlay / "kustomization.yaml").read_text(encoding="utf-8"))
    kustomization["resources"].append("typo.yaml")
    kustomization.setdefault("patches", []).extend(
        [
            json_patch(
                "KafkaTopic",
                "reports-submitted",
                {"op": "replace", "path": "/spec/replicas", "value": "one"},
            ),
            json_patch(
                "Deployment",
                "notify",
                {"op": "add", "path": "/spec/template/spec/hostNetwork", "value": True},
            ),
            json_patch(
                "Deployment", "routing", {"op": "add", "path": "/spec/replicaCount", "value": 3}
            ),
        ]
    )
    (overlay / "kustomization.yaml").write_text(yaml.safe_dump(kustomization), encoding="utf-8")
    return k8s


def test_the_api_server_rejects_broken_objects_of_an_overlay_by_name(broken_prod: Path) -> None:
    code, output = dry_run(broken_prod)

    assert code == 1, output
    assert "overlay prod: 4 problem(s)" in output
    # The CRD's schema, as the server enforces it.
    assert (
        "FAIL kafkatopic.kafka.strimzi.io/reports-submitted: Error from server (Invalid)" in output
    )
    assert "spec.replicas in body must be of type integer" in output
    # A kind that no installed CRD serves.
    assert "FAIL kafkatopc.kafka.strimzi.io/typo: resource mapping not found" in output
    assert 'no matches for kind "KafkaTopc" in version "kafka.strimzi.io/v1"' in output
    # Pod Security admission's warning for the restricted namespace, as an error.
    assert (
        'FAIL deployment.apps/notify: warning: would violate PodSecurity "restricted:latest": '
        "host namespaces (hostNetwork=true)" in output
    )
    # A field Kubernetes does not know: strict field validation under --warnings-as-errors.
    assert "FAIL deployment.apps/routing: Error from server (BadRequest)" in output
    assert 'unknown field "spec.replicaCount"' in output
