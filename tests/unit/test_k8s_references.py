"""`make k8s-validate` fails on every reference error of the platform review, naming the object.

Each case breaks one thing in a copy of deploy/k8s (base, platform and the production overlays)
and runs the validator as the Makefile does: schemas alone accept every one of these.
"""

import shutil
from pathlib import Path
from typing import NamedTuple

import pytest

from tests.unit.test_k8s_validation import ROOT, replace_once, validate

K8S = ROOT / "deploy" / "k8s"


class Break(NamedTuple):
    overlay: str
    path: str
    old: str
    new: str
    expected: tuple[str, ...]


CASES = {
    "service selector matching no pods": Break(
        "prod",
        "base/reports/service.yaml",
        "  selector:\n    app.kubernetes.io/name: reports\n  ports:\n    - name: http\n",
        "  selector:\n    app.kubernetes.io/name: reportz\n  ports:\n    - name: http\n",
        ("Service/reports: selector app.kubernetes.io/name=reportz matches no pod template",),
    ),
    "hpa target name": Break(
        "prod",
        "base/reports/hpa.yaml",
        "    name: reports\n  minReplicas",
        "    name: report\n  minReplicas",
        ("HorizontalPodAutoscaler/reports: scaleTargetRef Deployment/report does not exist",),
    ),
    "scaled object target name": Break(
        "prod",
        "base/routing/scaledobject.yaml",
        "  scaleTargetRef:\n    name: routing\n",
        "  scaleTargetRef:\n    name: routng\n",
        ("ScaledObject/routing: scaleTargetRef Deployment/routng does not exist",),
    ),
    "ingress backend name": Break(
        "prod-ingress",
        "overlays/prod-ingress/ingress.yaml",
        "                name: reports\n",
        "                name: report\n",
        ("Ingress/reports: backend Service 'report' does not exist",),
    ),
    "httproute backend name": Break(
        "prod",
        "base/fleet/httproute.yaml",
        "        - name: fleet\n",
        "        - name: fleets\n",
        ("HTTPRoute/fleet: backend Service 'fleets' does not exist",),
    ),
    "service monitor port name": Break(
        "prod",
        "base/monitoring/servicemonitors.yaml",
        "      app.kubernetes.io/name: notify\n      app.kubernetes.io/component: metrics\n"
        "  endpoints:\n    - port: metrics\n",
        "      app.kubernetes.io/name: notify\n      app.kubernetes.io/component: metrics\n"
        "  endpoints:\n    - port: metric\n",
        ("ServiceMonitor/notify: port 'metric' is no port of Service/notify-metrics",),
    ),
    "probe port name": Break(
        "prod",
        "base/reports/deployment.yaml",
        "          readinessProbe:\n            httpGet:\n              path: /health/live\n"
        "              port: http\n",
        "          readinessProbe:\n            httpGet:\n              path: /health/live\n"
        "              port: web\n",
        ("Deployment/reports: container reports: readinessProbe port 'web' is no port",),
    ),
    "network policy port name": Break(
        "prod",
        "base/network/prometheus.yaml",
        "{protocol: TCP, port: metrics}",
        "{protocol: TCP, port: metric}",
        ("NetworkPolicy/allow-prometheus: ingress port 'metric' is no container port",),
    ),
    "secret key ref to a secret that exists nowhere": Break(
        "prod",
        "base/notify/deployment.yaml",
        "                  name: stadtmelder-push\n",
        "                  name: stadtmelder-pushkeys\n",
        ("Deployment/notify: container notify: Secret 'stadtmelder-pushkeys' exists nowhere",),
    ),
    "pdb selector": Break(
        "prod",
        "base/routing/pdb.yaml",
        "      app.kubernetes.io/name: routing\n",
        "      app.kubernetes.io/name: router\n",
        ("PodDisruptionBudget/routing: selector app.kubernetes.io/name=router matches no pod",),
    ),
    "keda topic that is no kafka topic": Break(
        "prod",
        "base/notify/scaledobject.yaml",
        "        topic: reports.overdue\n",
        "        topic: reports.overdu\n",
        (
            "ScaledObject/notify: trigger notify-reports-overdue: "
            "topic 'reports.overdu' is no KafkaTopic",
        ),
    ),
    "invalid promql": Break(
        "prod",
        "base/monitoring/prometheusrule.yaml",
        "(stadtmelder_consumer_lag) > 500",
        "(stadtmelder_consumer_lag) > > 500",
        ("PrometheusRule/stadtmelder: promtool check rules:", "parse error"),
    ),
    "kafka topic replicas one in an overlay": Break(
        "prod",
        "overlays/prod/kustomization.yaml",
        "patches:\n",
        "patches:\n  - target: {kind: KafkaTopic, name: reports-submitted}\n"
        "    patch: |-\n      - {op: replace, path: /spec/replicas, value: one}\n",
        ("KafkaTopic/reports-submitted: replicas 'one' is not a positive whole number",),
    ),
    "kafka without a login": Break(
        "prod",
        "base/config/connection.env",
        "KAFKA_SECURITY_PROTOCOL=SASL_SSL\n",
        "KAFKA_SECURITY_PROTOCOL=PLAINTEXT\n",
        ("Deployment/fleet: container fleet: reaches Kafka without a login",),
    ),
    "keda namespace not admitted by kafka": Break(
        "prod",
        "platform/kafka.yaml",
        "                kubernetes.io/metadata.name: keda\n",
        "                kubernetes.io/metadata.name: autoscaling\n",
        ("Kafka/stadtmelder: listener tls: networkPolicyPeers do not admit the namespace keda",),
    ),
}


def production_copy(k8s: Path) -> Path:
    """deploy/k8s with the base, the platform and the production overlays, copied to `k8s`."""
    for part in ("base", "platform", "overlays/prod", "overlays/prod-ingress"):
        shutil.copytree(K8S / part, k8s / part)
    return k8s


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return production_copy(tmp_path_factory.mktemp("pristine") / "k8s")


@pytest.mark.parametrize("case", CASES, ids=lambda name: name.replace(" ", "-"))
def test_a_broken_reference_fails_validation_naming_the_object(
    case: str, pristine: Path, tmp_path: Path
) -> None:
    broken = CASES[case]
    k8s = tmp_path / "k8s"
    shutil.copytree(pristine, k8s)
    replace_once(k8s / broken.path, broken.old, broken.new)

    code, output = validate(k8s, "--overlay", broken.overlay)

    assert code == 1, output
    for expected in broken.expected:
        assert expected in output, output


def test_the_production_overlays_pass_every_reference_check(pristine: Path) -> None:
    code, output = validate(pristine, "--overlay", "prod", "--overlay", "prod-ingress")

    assert code == 0, output
    assert "overlay prod: ok" in output
    assert "overlay prod-ingress: ok" in output
