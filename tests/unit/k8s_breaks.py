"""Breaks of deploy/k8s that schemas accept and make k8s-validate must refuse, one per case:
the file, the text replaced, and what the validation must say about it."""

import shutil
from pathlib import Path
from typing import NamedTuple

from tests.unit.test_k8s_validation import replace_once


class Break(NamedTuple):
    overlay: str
    path: str
    old: str
    new: str
    expected: tuple[str, ...]

    def applied_to(self, pristine: Path, scratch: Path) -> Path:
        """A copy of `pristine` (a deploy/k8s) in `scratch`, with this break in it."""
        k8s = scratch / "k8s"
        shutil.copytree(pristine, k8s)
        replace_once(k8s / self.path, self.old, self.new)
        return k8s


ZERO_DIGEST = "digest: sha256:" + "0" * 63 + "2\n"
# Each fails the whole `make k8s-validate` command (test_k8s_references runs it for each).
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
# Each breaks a rule of the platform review; checked on the rendered overlay in-process.
RULE_CASES = {
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
