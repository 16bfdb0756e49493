"""The platform review's rules for a rendered overlay, beyond the pod-level policy (policy.py).

Drains are never blocked by unready pods, spreading ignores nodes pods cannot run on, KEDA
scales on authenticated lag with a fallback, egress on HTTPS and MongoDB goes to named
addresses, a vanished service still alerts, and production runs images by digest with every
Secret from the secret store.
"""

import re
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import policy
from inventory import Manifest, name_of

# A namespace with this label is production (overlays/prod and what builds on it).
ENVIRONMENT_LABEL = "stadtmelder/environment"
RELOADER = "reloader.stakater.com/auto"
# Ports whose peers are known hosts, so their egress must name them.
NAMED_PEER_PORTS = {443: "HTTPS", 27017: "MongoDB"}
DIGEST = re.compile(r"@sha256:[0-9a-f]{64}$")


def violations(manifests: Iterable[Manifest]) -> list[str]:
    found = list(manifests)
    checks = (eviction, spreading, scaling, egress, absent_alerts, production)
    return [problem for check in checks for problem in check(found)]


def eviction(manifests: list[Manifest]) -> Iterator[str]:
    for budget in _of_kind(manifests, "PodDisruptionBudget"):
        if budget.get("spec", {}).get("unhealthyPodEvictionPolicy") != "AlwaysAllow":
            yield (
                f"{name_of(budget)}: needs unhealthyPodEvictionPolicy: AlwaysAllow, or unready "
                f"pods block node drains"
            )


def spreading(manifests: list[Manifest]) -> Iterator[str]:
    for manifest in manifests:
        spec = _pod_spec(manifest)
        for constraint in (spec or {}).get("topologySpreadConstraints", []):
            if constraint.get("nodeTaintsPolicy") != "Honor":
                yield (
                    f"{name_of(manifest)}: topology spread on {constraint.get('topologyKey')} "
                    f"needs nodeTaintsPolicy: Honor"
                )


def scaling(manifests: list[Manifest]) -> Iterator[str]:
    for scaler in _of_kind(manifests, "ScaledObject"):
        spec = scaler.get("spec", {})
        if not spec.get("fallback"):
            yield f"{name_of(scaler)}: has no fallback for when KEDA cannot read its metric"
        if "cooldownPeriod" in spec and spec.get("minReplicaCount", 0) >= 1:
            yield f"{name_of(scaler)}: cooldownPeriod does nothing with minReplicaCount >= 1"
        behavior = spec.get("advanced", {}).get("horizontalPodAutoscalerConfig", {})
        if not behavior.get("behavior", {}).get("scaleDown"):
            yield f"{name_of(scaler)}: shape scale-down in advanced.horizontalPodAutoscalerConfig"
        for trigger in spec.get("triggers", []):
            if trigger.get("type") != "kafka":
                continue
            where = f"{name_of(scaler)}: trigger {trigger.get('name')}"
            if trigger.get("metadata", {}).get("offsetResetPolicy") != "latest":
                yield f"{where}: offsetResetPolicy must be latest, or a new group scales out to max"
            if not trigger.get("authenticationRef"):
                yield f"{where}: has no authenticationRef, so KEDA cannot log in to Kafka"


def egress(manifests: list[Manifest]) -> Iterator[str]:
    for network in _of_kind(manifests, "NetworkPolicy"):
        for rule in network.get("spec", {}).get("egress", []):
            ports = {p.get("port") for p in rule.get("ports", [])}
            for port, what in NAMED_PEER_PORTS.items():
                if port in ports and _anywhere(rule.get("to", [])):
                    yield f"{name_of(network)}: egress on {port} ({what}) is open to any address"


def _anywhere(peers: list[Mapping[str, Any]]) -> bool:
    if not peers:
        return True
    return any(
        (peer.get("ipBlock") or {}).get("cidr") in ("0.0.0.0/0", "::/0")
        and not (peer.get("ipBlock") or {}).get("except")
        for peer in peers
    )


def absent_alerts(manifests: list[Manifest]) -> Iterator[str]:
    for rule in _of_kind(manifests, "PrometheusRule"):
        alerts = [r for g in rule.get("spec", {}).get("groups", []) for r in g.get("rules", [])]
        exprs = [str(r.get("expr", "")) for r in alerts if "alert" in r]
        watches_up = [e for e in exprs if re.search(r"\bup\b", e) and "== 0" in e]
        if watches_up and not any("absent(up" in e.replace(" ", "") for e in exprs):
            yield f"{name_of(rule)}: `up == 0` is silent when no target is left; add absent(up)"


def production(manifests: list[Manifest]) -> Iterator[str]:
    namespaces = _of_kind(manifests, "Namespace")
    labels = [n.get("metadata", {}).get("labels") or {} for n in namespaces]
    if not any(label.get(ENVIRONMENT_LABEL) == "production" for label in labels):
        return
    for manifest in manifests:
        spec = _pod_spec(manifest)
        for container in [
            *(spec or {}).get("initContainers", []),
            *(spec or {}).get("containers", []),
        ]:
            image = str(container.get("image", ""))
            if not DIGEST.search(image):
                yield f"{name_of(manifest)}: production image {image!r} is not pinned by digest"
        if spec is not None and manifest.get("kind") != "Pod":
            annotations = manifest.get("metadata", {}).get("annotations") or {}
            if annotations.get(RELOADER) != "true":
                yield f'{name_of(manifest)}: needs {RELOADER}: "true" to roll out rotated Secrets'
    for secret in _of_kind(manifests, "Secret"):
        if secret.get("data") or secret.get("stringData"):
            yield f"{name_of(secret)}: in production Secrets come from the secret store, not git"


def _of_kind(manifests: list[Manifest], kind: str) -> list[Manifest]:
    return [m for m in manifests if m.get("kind") == kind]


def _pod_spec(manifest: Manifest) -> Mapping[str, Any] | None:
    path = policy.POD_SPEC_PATHS.get(str(manifest.get("kind")))
    spec = policy.dig(manifest, path) if path else None
    return spec if isinstance(spec, Mapping) else None
