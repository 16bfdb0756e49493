"""What a rendered overlay holds, indexed for the reference checks: objects by kind and name, pod
templates with their labels and ports, and every Secret and ConfigMap that exists or that an
operator (External Secrets, Strimzi, cert-manager, the MongoDB operator) writes."""

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import policy

Manifest = Mapping[str, Any]
# KEDA's operator reads the consumer lag from its own namespace (docs/operations.md).
KEDA_NAMESPACE = "keda"


class AnyKeys(frozenset[str]):
    """The keys of a Secret whose keys this checker cannot know (a templated ExternalSecret)."""


ANY_KEYS = AnyKeys()
# The keys of the Secrets operators write: Strimzi per KafkaUser, cert-manager per Certificate,
# the MongoDB operator per user's connection string.
KAFKA_USER_KEYS = frozenset({"password", "sasl.jaas.config"})
KAFKA_TLS_USER_KEYS = frozenset({"ca.crt", "user.crt", "user.key", "user.p12", "user.password"})
CERTIFICATE_KEYS = frozenset({"tls.crt", "tls.key", "ca.crt"})
CONNECTION_KEYS = frozenset(
    {"connectionString.standard", "connectionString.standardSrv", "username", "password"}
)


def name_of(manifest: Manifest, kind: bool = True) -> str:
    name = str(manifest.get("metadata", {}).get("name"))
    return f"{manifest.get('kind')}/{name}" if kind else name


def label_text(labels: Mapping[str, str]) -> str:
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items())) or "(none)"


def matches(selector: Mapping[str, str], labels: Mapping[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in selector.items())


def selects(selector: Mapping[str, Any], labels: Mapping[str, str]) -> bool:
    """A LabelSelector (matchLabels and matchExpressions) applied to `labels`."""
    if not matches(selector.get("matchLabels") or {}, labels):
        return False
    for expression in selector.get("matchExpressions") or []:
        key, values = expression.get("key"), expression.get("values") or []
        operator = expression.get("operator")
        if operator == "In" and labels.get(key) not in values:
            return False
        if operator == "NotIn" and labels.get(key) in values:
            return False
        if operator == "Exists" and key not in labels:
            return False
        if operator == "DoesNotExist" and key in labels:
            return False
    return True


@dataclass
class PodTemplate:
    owner: str
    labels: Mapping[str, str]
    spec: Mapping[str, Any]
    containers: list[Mapping[str, Any]] = field(default_factory=list)

    @property
    def port_names(self) -> set[str]:
        return {
            str(port["name"])
            for container in self.containers
            for port in container.get("ports", [])
            if port.get("name")
        }


def container_sources(container: Mapping[str, Any]) -> Iterator[tuple[str, str, str | None, bool]]:
    """(kind, name, key or None, optional) of each Secret and ConfigMap a container reads."""
    for variable in container.get("env", []):
        source = variable.get("valueFrom") or {}
        for field_name, kind in (("secretKeyRef", "Secret"), ("configMapKeyRef", "ConfigMap")):
            if field_name in source:
                ref = source[field_name]
                yield kind, ref.get("name"), ref.get("key"), bool(ref.get("optional"))
    for source in container.get("envFrom", []):
        for field_name, kind in (("secretRef", "Secret"), ("configMapRef", "ConfigMap")):
            if field_name in source:
                ref = source[field_name]
                yield kind, ref.get("name"), None, bool(ref.get("optional"))


def volume_sources(pod: Mapping[str, Any]) -> Iterator[tuple[str, str, str | None, bool]]:
    for volume in pod.get("volumes", []):
        projected = list((volume.get("projected") or {}).get("sources", []))
        for source in [volume, *projected]:
            for field_name, kind, name_key in (
                ("secret", "Secret", "secretName"),
                ("configMap", "ConfigMap", "name"),
            ):
                ref = source.get(field_name)
                if ref is None:
                    continue
                name = ref.get(name_key, ref.get("name"))
                optional = bool(ref.get("optional"))
                keys = [item.get("key") for item in ref.get("items", [])] or [None]
                for key in keys:
                    yield kind, name, key, optional


class Inventory:
    def __init__(self, manifests: list[Manifest], platform: list[Manifest]) -> None:
        self.manifests = manifests
        self.platform = platform
        self._by_name = {(str(m.get("kind")), name_of(m, kind=False)): m for m in manifests}
        self.pod_templates = list(self._pod_templates())
        self.topic_names = {
            t.get("spec", {}).get("topicName", name_of(t, kind=False))
            for t in self.of_kind("KafkaTopic")
        }
        self._sources = self._written_sources()

    def of_kind(self, kind: str) -> list[Manifest]:
        return [m for m in self.manifests if m.get("kind") == kind]

    def platform_of_kind(self, kind: str) -> list[Manifest]:
        return [m for m in self.platform if m.get("kind") == kind]

    def get(self, kind: str, name: str | None) -> Manifest | None:
        return self._by_name.get((kind, str(name)))

    def _pod_templates(self) -> Iterator[PodTemplate]:
        for manifest in self.manifests:
            kind = str(manifest.get("kind"))
            if kind in policy.POD_SPEC_PATHS:
                path = policy.POD_SPEC_PATHS[kind]
                template: Any = manifest
                for key in path[:-1]:
                    template = (template or {}).get(key)
                metadata = (template or {}).get("metadata") or {}
                spec = (template or {}).get(path[-1]) or {}
                containers = [*spec.get("initContainers", []), *spec.get("containers", [])]
                yield PodTemplate(name_of(manifest), metadata.get("labels") or {}, spec, containers)
            elif kind == "MongoDBCommunity":
                # The operator's StatefulSet labels its pods `app: <name>-svc`.
                labels = {"app": f"{name_of(manifest, kind=False)}-svc"}
                yield PodTemplate(name_of(manifest), labels, {})

    def pods_matching(self, selector: Mapping[str, str]) -> list[PodTemplate]:
        return [pod for pod in self.pod_templates if matches(selector, pod.labels)]

    def pods_selected(self, selector: Mapping[str, Any]) -> list[PodTemplate]:
        return [pod for pod in self.pod_templates if selects(selector, pod.labels)]

    def _written_sources(self) -> dict[tuple[str, str], frozenset[str]]:
        sources: dict[tuple[str, str], frozenset[str]] = {}
        for secret in self.of_kind("Secret"):
            keys = {*(secret.get("data") or {}), *(secret.get("stringData") or {})}
            sources[("Secret", name_of(secret, kind=False))] = frozenset(keys)
        for config in self.of_kind("ConfigMap"):
            keys = {*(config.get("data") or {}), *(config.get("binaryData") or {})}
            sources[("ConfigMap", name_of(config, kind=False))] = frozenset(keys)
        for external in self.of_kind("ExternalSecret"):
            spec = external.get("spec", {})
            target = (spec.get("target") or {}).get("name") or name_of(external, kind=False)
            templated = spec.get("dataFrom") or (spec.get("target") or {}).get("template")
            named = frozenset(str(d.get("secretKey")) for d in spec.get("data", []))
            sources[("Secret", target)] = ANY_KEYS if templated else named
        for user in self.of_kind("KafkaUser"):
            tls = user.get("spec", {}).get("authentication", {}).get("type") == "tls"
            sources[("Secret", name_of(user, kind=False))] = (
                KAFKA_TLS_USER_KEYS if tls else KAFKA_USER_KEYS
            )
        for certificate in self.of_kind("Certificate"):
            sources[("Secret", certificate.get("spec", {}).get("secretName"))] = CERTIFICATE_KEYS
        for database in self.of_kind("MongoDBCommunity"):
            for user in database.get("spec", {}).get("users", []):
                name = user.get("connectionStringSecretName") or "-".join(
                    (name_of(database, kind=False), user.get("db", "admin"), user.get("name", ""))
                )
                sources[("Secret", name)] = CONNECTION_KEYS
        return sources

    def keys_of(self, kind: str, name: str) -> frozenset[str] | None:
        """The keys of the Secret or ConfigMap `name`, or None when nothing makes it."""
        return self._sources.get((kind, name))

    def environment_of_container(self, container: Mapping[str, Any]) -> dict[str, Any]:
        """Variable → its value where the overlay holds it, else where it comes from."""
        found: dict[str, Any] = {}
        for source in container.get("envFrom", []):
            ref = source.get("configMapRef") or source.get("secretRef") or {}
            kind = "ConfigMap" if "configMapRef" in source else "Secret"
            holder = self.get(kind, ref.get("name")) or {}
            data = holder.get("data") if kind == "ConfigMap" else None
            keys = self.keys_of(kind, str(ref.get("name"))) or frozenset()
            found |= dict(data) if data else dict.fromkeys(keys, f"({kind} {ref.get('name')})")
        for variable in container.get("env", []):
            found[variable["name"]] = variable.get("value", "(from a reference)")
        return found

    def environment_of(self, workload: Manifest) -> dict[str, Any]:
        spec = policy.dig(workload, policy.POD_SPEC_PATHS.get(str(workload.get("kind")), ()))
        found: dict[str, Any] = {}
        for container in (spec or {}).get("containers", []):
            found |= self.environment_of_container(container)
        return found

    def secret_ref_of(self, container: Mapping[str, Any], variable: str) -> str | None:
        for entry in container.get("env", []):
            ref = (entry.get("valueFrom") or {}).get("secretKeyRef")
            if entry.get("name") == variable and ref:
                return str(ref.get("name"))
        return None

    def keda_user(self, authentication: Manifest) -> Manifest | None:
        """The KafkaUser a TriggerAuthentication logs in as (its `username` parameter)."""
        spec = authentication.get("spec", {})
        for ref in spec.get("configMapTargetRef", []):
            if ref.get("parameter") == "username":
                config = self.get("ConfigMap", ref.get("name")) or {}
                return self.get("KafkaUser", (config.get("data") or {}).get(ref.get("key")))
        return None

    def user_may(self, user: Manifest, resource: str, name: str | None, operation: str) -> bool:
        for acl in user.get("spec", {}).get("authorization", {}).get("acls", []):
            granted = acl.get("resource", {})
            if granted.get("type") != resource or name is None:
                continue
            pattern = str(granted.get("name"))
            if granted.get("patternType", "literal") == "prefix":
                fits = name.startswith(pattern)
            else:
                fits = pattern in (name, "*")
            operations = set(acl.get("operations", [acl.get("operation")]))
            # Kafka: Read, Write, Delete and Alter each imply Describe.
            implied = operation == "Describe" and operations & {"Read", "Write", "Delete", "Alter"}
            if fits and (operation in operations or "All" in operations or implied):
                return True
        return False

    def bootstrap_ports(self) -> set[int]:
        """The Kafka ports the overlay's clients connect to (KAFKA_BOOTSTRAP_SERVERS)."""
        ports = set()
        for config in self.of_kind("ConfigMap"):
            servers = (config.get("data") or {}).get("KAFKA_BOOTSTRAP_SERVERS", "")
            ports |= {int(s.rsplit(":", 1)[1]) for s in servers.split(",") if ":" in s}
        return ports

    def client_namespaces(self) -> list[tuple[str, Mapping[str, str]]]:
        """The namespaces whose pods log in to Kafka: the overlay's, and KEDA's if it scales."""
        found: list[tuple[str, Mapping[str, str]]] = []
        for namespace in self.of_kind("Namespace"):
            name = name_of(namespace, kind=False)
            labels = {**(namespace["metadata"].get("labels") or {})}
            found.append((name, {"kubernetes.io/metadata.name": name, **labels}))
        if self.of_kind("ScaledObject"):
            found.append((KEDA_NAMESPACE, {"kubernetes.io/metadata.name": KEDA_NAMESPACE}))
        return found
