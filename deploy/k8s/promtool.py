"""Runs Prometheus' own `promtool check rules` on the alerts of the PrometheusRule resources.

promtool comes from the Go module proxy (github.com/prometheus/prometheus/cmd/promtool at a
pinned version): built once with `go install` into var/tools (a few minutes on two cores; Go's
module and build caches keep a rebuild short), then reused. Invalid PromQL, a bad `for:` or a
broken template fails here with promtool's own words.
"""

import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import yaml

VERSION = "v0.316.0"
PACKAGE = "github.com/prometheus/prometheus/cmd/promtool"
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_PATH = ROOT / "var" / "tools" / f"promtool-{VERSION}" / "promtool"


class PromtoolUnavailable(Exception):
    """promtool is not built and cannot be: no Go toolchain here."""


def find_or_build(path: Path = DEFAULT_PATH) -> Path:
    if path.exists():
        return path
    go = shutil.which("go")
    if go is None:
        raise PromtoolUnavailable(f"building promtool {VERSION} needs Go 1.25+ on the PATH")
    print(f"k8s-validate: building promtool {VERSION} with go install (first run only) ...")
    scratch = path.parent / ".building"
    scratch.mkdir(parents=True, exist_ok=True)
    environment = {**os.environ, "GOBIN": str(scratch)}
    command = [go, "install", f"{PACKAGE}@{VERSION}"]
    if subprocess.run(command, env=environment, check=False).returncode != 0:
        raise PromtoolUnavailable(f"go install {PACKAGE}@{VERSION} failed; its output says why")
    # Moved into place whole, so an interrupted build never leaves half a binary behind.
    os.replace(scratch / "promtool", path)
    return path


def rule_groups(manifest: Mapping[str, Any]) -> dict[str, Any]:
    """A PrometheusRule's spec as the rule file Prometheus itself would load."""
    return {"groups": manifest.get("spec", {}).get("groups", [])}


def check_rules(promtool: Path, manifests: Iterable[Mapping[str, Any]]) -> list[str]:
    """promtool's complaints about each PrometheusRule, one sentence per failing resource."""
    problems = []
    for manifest in manifests:
        if manifest.get("kind") != "PrometheusRule":
            continue
        name = f"PrometheusRule/{manifest.get('metadata', {}).get('name')}"
        with tempfile.TemporaryDirectory() as scratch:
            rules = Path(scratch) / "rules.yaml"
            rules.write_text(yaml.safe_dump(rule_groups(manifest)), encoding="utf-8")
            result = subprocess.run(
                [str(promtool), "check", "rules", str(rules)],
                capture_output=True,
                text=True,
                check=False,
            )
        if result.returncode != 0:
            said = (result.stderr or result.stdout).replace(str(rules), "rules").strip()
            problems.append(f"{name}: promtool check rules: {' '.join(said.split())}")
    return problems
