"""`make k8s-validate` passes for the shipped manifests and fails on a broken one.

Each test runs the validator, as the Makefile does, on a copy of deploy/k8s with one thing
broken, so what is proven is the command an operator and CI run.
"""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
VALIDATE = ROOT / "deploy" / "k8s" / "validate.py"


def validate(k8s_dir: Path = ROOT / "deploy" / "k8s", *options: str) -> tuple[int, str]:
    result = subprocess.run(
        [sys.executable, str(VALIDATE), "--k8s-dir", str(k8s_dir), "--repo", str(ROOT), *options],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    return result.returncode, result.stdout + result.stderr


@pytest.fixture
def prod_copy(tmp_path: Path) -> Path:
    """deploy/k8s with the base and only the prod overlay, to break one file of."""
    k8s = tmp_path / "k8s"
    shutil.copytree(ROOT / "deploy" / "k8s" / "base", k8s / "base")
    shutil.copytree(ROOT / "deploy" / "k8s" / "overlays" / "prod", k8s / "overlays" / "prod")
    return k8s


def replace_once(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} is not in {path} exactly once"
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_every_shipped_overlay_renders_and_passes_schemas_and_policy() -> None:
    code, output = validate()

    assert code == 0, output
    for overlay in ("dev", "prod", "prod-ingress", "mongodb-in-cluster"):
        assert f"overlay {overlay}: ok" in output
    assert "strictly valid for Kubernetes 1.33 and 1.37" in output
    assert "ScaledObject (keda.sh/v1alpha1) checked against its CRD schema" in output
    assert "PrometheusRule (monitoring.coreos.com/v1) checked against its CRD schema" in output
    # What no registry package describes is named, not silently passed.
    assert "KafkaTopic (kafka.strimzi.io/v1) NOT validated" in output


def test_an_unknown_field_in_a_deployment_fails_validation(prod_copy: Path) -> None:
    replace_once(
        prod_copy / "base" / "reports" / "deployment.yaml",
        "  revisionHistoryLimit: 5\n",
        "  revisionHistoryLimit: 5\n  replicaCount: 3\n",
    )

    code, output = validate(prod_copy)

    assert code == 1
    for version in ("1.33", "1.37"):
        assert f"Deployment/reports: Kubernetes {version}: spec: " in output
    assert "'replicaCount' was unexpected" in output


def test_a_missing_memory_limit_fails_validation(prod_copy: Path) -> None:
    replace_once(
        prod_copy / "base" / "notify" / "deployment.yaml",
        '              cpu: "1"\n              memory: 384Mi\n',
        '              cpu: "1"\n',
    )

    code, output = validate(prod_copy)

    assert code == 1
    assert "Deployment/notify: container notify: has no memory limit" in output


def test_a_misspelt_field_in_a_keda_scaled_object_fails_validation(prod_copy: Path) -> None:
    replace_once(
        prod_copy / "base" / "routing" / "scaledobject.yaml",
        "  pollingInterval: 15\n",
        "  pollingInterval: 15\n  coolDownPeriod: 300\n",
    )

    code, output = validate(prod_copy)

    assert code == 1
    assert "ScaledObject/routing" in output
    assert "'coolDownPeriod' was unexpected" in output


def test_an_image_on_latest_fails_validation(prod_copy: Path) -> None:
    replace_once(
        prod_copy / "overlays" / "prod" / "kustomization.yaml",
        "    digest: sha256:" + "0" * 63 + "2\n",
        "    newTag: latest\n",
    )

    code, output = validate(prod_copy)

    assert code == 1
    assert "uses the moving tag `latest`" in output


def test_an_overlay_that_does_not_render_fails_validation(prod_copy: Path) -> None:
    replace_once(
        prod_copy / "overlays" / "prod" / "kustomization.yaml",
        "  - path: scaling.yaml\n",
        "  - path: scaling-gone.yaml\n",
    )

    code, output = validate(prod_copy)

    assert code == 1
    assert "kubectl kustomize failed" in output


def test_strimzi_resources_that_drift_from_the_code_fail_validation(prod_copy: Path) -> None:
    replace_once(
        prod_copy / "base" / "kafka" / "users.yaml",
        "        name: departments.stadt-licht.work\n",
        "        name: departments.\n",
    )

    code, output = validate(prod_copy)

    assert code == 1
    assert "users.yaml differs from the code" in output
