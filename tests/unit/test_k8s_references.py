"""`make k8s-validate` fails on every reference error and every rule of the platform review,
with a message naming the object and the reference.

Each case (tests/unit/k8s_breaks.py) breaks one thing in a copy of deploy/k8s (base, platform
and the production overlays). The reference errors run the validator as the Makefile does;
schemas alone accept every one of them. The review's rules are checked in this process on the
overlay the pinned kubectl renders, as the validator checks them after the schemas.
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

from tests.unit.k8s_breaks import CASES, RULE_CASES
from tests.unit.test_k8s_settings import load_kubectl
from tests.unit.test_k8s_validation import ROOT, validate

K8S = ROOT / "deploy" / "k8s"


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """deploy/k8s with the base, the platform and the production overlays, copied once."""
    k8s = tmp_path_factory.mktemp("pristine") / "k8s"
    for part in ("base", "platform", "overlays/prod", "overlays/prod-ingress"):
        shutil.copytree(K8S / part, k8s / part)
    return k8s


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


def rule_problems(k8s: Path, overlay: str) -> str:
    manifests = render(k8s / "overlays" / overlay)
    rules: list[str] = checker("hardening").violations(manifests)
    references: list[str] = checker("references").problems(manifests, render(k8s / "platform"))
    return "\n".join(rules + references)


@pytest.mark.parametrize("case", [*CASES, *RULE_CASES], ids=lambda name: name.replace(" ", "-"))
def test_a_break_fails_validation_naming_the_object(
    case: str, pristine: Path, tmp_path: Path
) -> None:
    broken = CASES.get(case) or RULE_CASES[case]
    k8s = broken.applied_to(pristine, tmp_path)

    if case in CASES:
        code, output = validate(k8s, "--overlay", broken.overlay)
        assert code == 1, output
    else:
        output = rule_problems(k8s, broken.overlay)

    for expected in broken.expected:
        assert expected in output, output


def test_the_production_overlays_pass_every_check(pristine: Path) -> None:
    code, output = validate(pristine, "--overlay", "prod", "--overlay", "prod-ingress")

    assert code == 0, output
    assert "overlay prod: ok" in output
    assert "overlay prod-ingress: ok" in output
    assert rule_problems(pristine, "prod") == ""
