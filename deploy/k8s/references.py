"""Checks that the objects of a rendered overlay refer to each other correctly.

Schemas cannot see these: a Service selector that matches no pod, a port name no container has,
a Secret that exists nowhere, a KEDA topic that is no KafkaTopic. Each problem is one sentence
that names the object and the reference, e.g. `Service/reports: selector
app.kubernetes.io/name=reportz matches no pod template`.
"""

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import inventory
from inventory import Inventory, Manifest, label_text, matches, name_of


def problems(manifests: Iterable[Manifest], platform: Iterable[Manifest] = ()) -> list[str]:
    """Every broken reference in one rendered overlay; `platform` is what runs beside it."""
    found = Inventory(list(manifests), list(platform))
    checks = (
        service_selectors,
        workload_references,
        scaler_targets,
        kafka_triggers,
        routes,
        service_monitors,
        network_policy_ports,
        disruption_budgets,
        kafka_users,
        kafka_topics,
        kafka_admits_clients,
    )
    return [problem for check in checks for problem in check(found)]


def service_selectors(found: Inventory) -> Iterator[str]:
    for service in found.of_kind("Service"):
        selector = service.get("spec", {}).get("selector")
        if not selector:
            continue
        pods = found.pods_matching(selector)
        if not pods:
            yield f"{name_of(service)}: selector {label_text(selector)} matches no pod template"
            continue
        for port in service["spec"].get("ports", []):
            target = port.get("targetPort", port.get("port"))
            if isinstance(target, str) and not any(target in p.port_names for p in pods):
                yield (
                    f"{name_of(service)}: targetPort {target!r} is no container port of the "
                    f"pods it selects"
                )


def workload_references(found: Inventory) -> Iterator[str]:
    """Probes' named ports, and the Secrets and ConfigMaps containers and volumes read."""
    for pod in found.pod_templates:
        for container in pod.containers:
            where = f"{pod.owner}: container {container.get('name')}"
            for probe_name in ("startupProbe", "livenessProbe", "readinessProbe"):
                probe = container.get(probe_name) or {}
                port = (probe.get("httpGet") or probe.get("tcpSocket") or {}).get("port")
                if isinstance(port, str) and port not in pod.port_names:
                    yield f"{where}: {probe_name} port {port!r} is no port of the container"
            for kind, name, key, optional in inventory.container_sources(container):
                yield from _source_problem(found, where, kind, name, key, optional)
        for kind, name, key, optional in inventory.volume_sources(pod.spec):
            yield from _source_problem(found, pod.owner, kind, name, key, optional)


def _source_problem(
    found: Inventory, where: str, kind: str, name: str, key: str | None, optional: bool
) -> Iterator[str]:
    if optional:
        return
    keys = found.keys_of(kind, name)
    if keys is None:
        yield f"{where}: {kind} {name!r} exists nowhere (no {kind}, nor anything that writes one)"
    elif key is not None and keys is not inventory.ANY_KEYS and key not in keys:
        yield f"{where}: {kind} {name!r} has no key {key!r}"


def scaler_targets(found: Inventory) -> Iterator[str]:
    for scaler in [*found.of_kind("HorizontalPodAutoscaler"), *found.of_kind("ScaledObject")]:
        target = scaler.get("spec", {}).get("scaleTargetRef", {})
        kind = target.get("kind", "Deployment")
        if found.get(kind, target.get("name")) is None:
            yield f"{name_of(scaler)}: scaleTargetRef {kind}/{target.get('name')} does not exist"


def kafka_triggers(found: Inventory) -> Iterator[str]:
    """KEDA's Kafka triggers: topic, login, and that the login may see the group and topic."""
    for scaler in found.of_kind("ScaledObject"):
        target = found.get("Deployment", scaler["spec"].get("scaleTargetRef", {}).get("name"))
        for trigger in scaler["spec"].get("triggers", []):
            if trigger.get("type") != "kafka":
                continue
            where = f"{name_of(scaler)}: trigger {trigger.get('name')}"
            metadata = trigger.get("metadata", {})
            topic, group = metadata.get("topic"), metadata.get("consumerGroup")
            if topic not in found.topic_names:
                yield f"{where}: topic {topic!r} is no KafkaTopic"
            env = metadata.get("bootstrapServersFromEnv")
            if env and target is not None and env not in found.environment_of(target):
                yield f"{where}: bootstrapServersFromEnv {env!r} is not set in {name_of(target)}"
            auth = (trigger.get("authenticationRef") or {}).get("name")
            authentication = found.get("TriggerAuthentication", auth)
            if authentication is None:
                yield f"{where}: authenticationRef {auth!r} is no TriggerAuthentication"
                continue
            user = found.keda_user(authentication)
            if user is None:
                yield f"{where}: TriggerAuthentication/{auth} logs in as no KafkaUser"
                continue
            for resource, name in (("group", group), ("topic", topic)):
                if not found.user_may(user, resource, name, "Describe"):
                    yield f"{where}: {name_of(user)} may not describe {resource} {name!r}"
    for authentication in found.of_kind("TriggerAuthentication"):
        for ref in authentication.get("spec", {}).get("secretTargetRef", []):
            yield from _source_problem(
                found, name_of(authentication), "Secret", ref.get("name"), ref.get("key"), False
            )
        for ref in authentication.get("spec", {}).get("configMapTargetRef", []):
            yield from _source_problem(
                found, name_of(authentication), "ConfigMap", ref.get("name"), ref.get("key"), False
            )


def routes(found: Inventory) -> Iterator[str]:
    """Ingress and HTTPRoute backends exist, and never reach a metrics port."""
    for ingress in found.of_kind("Ingress"):
        spec = ingress.get("spec", {})
        backends = [spec["defaultBackend"]] if spec.get("defaultBackend") else []
        for rule in spec.get("rules", []):
            backends += [path["backend"] for path in rule.get("http", {}).get("paths", [])]
        for backend in backends:
            service = backend.get("service", {})
            port = service.get("port", {})
            yield from _backend_problem(
                found, name_of(ingress), service.get("name"), port.get("name", port.get("number"))
            )
    for route in found.of_kind("HTTPRoute"):
        for rule in route.get("spec", {}).get("rules", []):
            for ref in rule.get("backendRefs", []):
                if ref.get("kind", "Service") == "Service":
                    yield from _backend_problem(
                        found, name_of(route), ref.get("name"), ref.get("port")
                    )


def _backend_problem(found: Inventory, where: str, name: str | None, port: Any) -> Iterator[str]:
    service = found.get("Service", name)
    if service is None:
        yield f"{where}: backend Service {name!r} does not exist"
        return
    ports = service.get("spec", {}).get("ports", [])
    chosen = [p for p in ports if port in (p.get("name"), p.get("port"))]
    if not chosen:
        yield f"{where}: backend Service/{name} has no port {port!r}"
    for entry in chosen:
        if "metrics" in (entry.get("name"), entry.get("targetPort")):
            yield f"{where}: routes Service/{name} port {port!r}, the metrics port, to the public"


def service_monitors(found: Inventory) -> Iterator[str]:
    for monitor in found.of_kind("ServiceMonitor"):
        selector = monitor.get("spec", {}).get("selector", {}).get("matchLabels", {})
        services = [s for s in found.of_kind("Service") if matches(selector, _labels(s))]
        if not services:
            yield f"{name_of(monitor)}: selector {label_text(selector)} matches no Service"
            continue
        for endpoint in monitor["spec"].get("endpoints", []):
            port = endpoint.get("port")
            for service in services:
                if port not in [p.get("name") for p in service["spec"].get("ports", [])]:
                    yield f"{name_of(monitor)}: port {port!r} is no port of {name_of(service)}"


def network_policy_ports(found: Inventory) -> Iterator[str]:
    for policy in found.of_kind("NetworkPolicy"):
        selector = policy.get("spec", {}).get("podSelector", {})
        pods = found.pods_selected(selector)
        for rule in policy["spec"].get("ingress", []):
            for port in rule.get("ports", []):
                name = port.get("port")
                if isinstance(name, str) and not any(name in p.port_names for p in pods):
                    yield (
                        f"{name_of(policy)}: ingress port {name!r} is no container port of the "
                        f"pods it selects"
                    )


def disruption_budgets(found: Inventory) -> Iterator[str]:
    for budget in found.of_kind("PodDisruptionBudget"):
        selector = budget.get("spec", {}).get("selector", {})
        if not found.pods_selected(selector):
            labels = label_text(selector.get("matchLabels", {}))
            yield f"{name_of(budget)}: selector {labels} matches no pod template"


def kafka_users(found: Inventory) -> Iterator[str]:
    """Every workload that reaches Kafka logs in as a KafkaUser whose topics all exist."""
    for pod in found.pod_templates:
        for container in pod.containers:
            environment = found.environment_of_container(container)
            if "KAFKA_BOOTSTRAP_SERVERS" not in environment:
                continue
            where = f"{pod.owner}: container {container.get('name')}"
            protocol = environment.get("KAFKA_SECURITY_PROTOCOL", "PLAINTEXT")
            if not str(protocol).startswith("SASL_"):
                yield f"{where}: reaches Kafka without a login (KAFKA_SECURITY_PROTOCOL {protocol})"
                continue
            username = environment.get("KAFKA_SASL_USERNAME")
            user = found.get("KafkaUser", username if isinstance(username, str) else None)
            if user is None:
                yield f"{where}: KAFKA_SASL_USERNAME {username!r} is no KafkaUser"
                continue
            secret = found.secret_ref_of(container, "KAFKA_SASL_PASSWORD")
            if secret != username:
                yield (
                    f"{where}: KAFKA_SASL_PASSWORD comes from Secret {secret!r}, not from "
                    f"KafkaUser/{username}'s"
                )
    for user in found.of_kind("KafkaUser"):
        if not user.get("spec", {}).get("authentication", {}).get("type"):
            yield f"{name_of(user)}: has no authentication"
        for acl in user.get("spec", {}).get("authorization", {}).get("acls", []):
            resource = acl.get("resource", {})
            literal = resource.get("patternType", "literal") == "literal"
            known = resource.get("name") in found.topic_names
            if resource.get("type") == "topic" and literal and not known:
                yield f"{name_of(user)}: ACL topic {resource.get('name')!r} is no KafkaTopic"


def kafka_topics(found: Inventory) -> Iterator[str]:
    for topic in found.of_kind("KafkaTopic"):
        spec = topic.get("spec", {})
        for field in ("partitions", "replicas"):
            value = spec.get(field)
            if not isinstance(value, int) or isinstance(value, bool) or value < 1:
                yield f"{name_of(topic)}: {field} {value!r} is not a positive whole number"
        replicas, config = spec.get("replicas"), spec.get("config", {})
        in_sync = config.get("min.insync.replicas")
        if isinstance(replicas, int) and in_sync is not None and int(in_sync) > replicas:
            yield f"{name_of(topic)}: min.insync.replicas {in_sync} exceeds replicas {replicas}"


def kafka_admits_clients(found: Inventory) -> Iterator[str]:
    """The platform's Kafka: every listener wants a login, nobody is a super user, and the
    listener the services use admits their namespace and KEDA's."""
    for kafka in found.platform_of_kind("Kafka"):
        spec = kafka.get("spec", {}).get("kafka", {})
        users = spec.get("authorization", {}).get("superUsers", [])
        if users:
            yield f"{name_of(kafka)}: superUsers {users} bypass every ACL"
        ports = found.bootstrap_ports()
        for listener in spec.get("listeners", []):
            where = f"{name_of(kafka)}: listener {listener.get('name')}"
            if not listener.get("authentication"):
                yield f"{where} admits clients without a login"
            if listener.get("port") not in ports:
                continue
            peers = listener.get("networkPolicyPeers", [])
            for namespace, labels in found.client_namespaces():
                if not _admitted(peers, labels):
                    yield f"{where}: networkPolicyPeers do not admit the namespace {namespace}"


def _admitted(peers: list[Mapping[str, Any]], labels: Mapping[str, str]) -> bool:
    if not peers:
        return True  # Strimzi then admits every namespace
    return any(
        "namespaceSelector" in peer
        and "podSelector" not in peer
        and matches(peer["namespaceSelector"].get("matchLabels", {}), labels)
        for peer in peers
    )


def _labels(manifest: Manifest) -> Mapping[str, str]:
    labels: Mapping[str, str] = manifest.get("metadata", {}).get("labels", {}) or {}
    return labels
