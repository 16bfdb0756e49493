"""The dry run's report names the object of every error and warning kubectl printed."""

import runpy
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
# A script's module, not a package: its functions, by name.
apply_output = runpy.run_path(str(ROOT / "deploy/k8s/apply_output.py"))
read = apply_output["read"]
object_key = apply_output["object_key"]


def manifest(api_version: str, kind: str, name: str) -> dict[str, Any]:
    return {"apiVersion": api_version, "kind": kind, "metadata": {"name": name}}


RENDERED = [
    manifest("v1", "Service", "reports"),
    manifest("apps/v1", "Deployment", "notify"),
    manifest("apps/v1", "Deployment", "routing"),
    manifest("kafka.strimzi.io/v1", "KafkaTopic", "reports-submitted"),
    manifest("kafka.strimzi.io/v1", "KafkaTopc", "typo"),
]

# What kubectl 1.33 printed for these (stdout and stderr as one stream), shortened.
OUTPUT = """\
service/reports created (server dry run)
Warning: would violate PodSecurity "restricted:latest": host namespaces (hostNetwork=true)
deployment.apps/notify created (server dry run)
resource mapping not found for name: "typo" namespace: "" from "STDIN": no matches for kind \
"KafkaTopc" in version "kafka.strimzi.io/v1"
ensure CRDs are installed first
Error from server (BadRequest): error when creating "STDIN": Deployment in version "v1" cannot \
be handled as a Deployment: strict decoding error: unknown field "spec.replicaCount"
Error from server (Invalid): error when creating "STDIN": KafkaTopic.kafka.strimzi.io \
"reports-submitted" is invalid: spec.replicas: Invalid value: "string"
"""


def test_every_problem_names_its_object() -> None:
    accepted, problems = read(OUTPUT, RENDERED)

    assert accepted == 2
    assert [problem.split(": ", 1)[0] for problem in problems] == [
        "deployment.apps/notify",
        "deployment.apps/routing",
        "kafkatopic.kafka.strimzi.io/reports-submitted",
        "kafkatopc.kafka.strimzi.io/typo",
    ]
    assert "warning: would violate PodSecurity" in problems[0]
    assert 'unknown field "spec.replicaCount"' in problems[1]
    assert "spec.replicas: Invalid value" in problems[2]
    assert 'no matches for kind "KafkaTopc"' in problems[3]


def test_an_accepted_overlay_has_no_problems() -> None:
    output = "".join(f"{object_key(m)} created (server dry run)\n" for m in RENDERED)

    assert read(output, RENDERED) == (len(RENDERED), [])


def test_an_object_with_no_error_and_no_accepted_line_is_named() -> None:
    accepted, problems = read("service/reports created (server dry run)\n", RENDERED[:2])

    assert accepted == 1
    assert problems == ["deployment.apps/notify: not accepted by the server"]
