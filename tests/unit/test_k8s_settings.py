"""The ConfigMap and Secret keys in deploy/k8s are the settings' variable names, one to one."""

import base64
import functools
import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from stadtmelder_fleet.settings import FleetSettings
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_routing.settings import RoutingSettings
from stadtmelder_shared.settings import ConnectionSettings

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "k8s" / "base"
SETTINGS: dict[str, type[BaseSettings]] = {
    "reports": ReportsSettings,
    "routing": RoutingSettings,
    "notify": NotifySettings,
    "fleet": FleetSettings,
}
# The Secrets the base references, written by External Secrets from the secret store
# (base/secrets) or by the operator (routing-department-secrets, stadtmelder-smtp), and the keys
# each must have; docs/operations.md tells how.
SECRET_KEYS = {
    "stadtmelder-mongodb": {"MONGODB_URL"},
    "stadtmelder-links": {"NOTIFY_LINK_SECRET"},
    "stadtmelder-smtp": {"SMTP_USERNAME", "SMTP_PASSWORD"},
    "stadtmelder-push": {"NOTIFY_VAPID_PRIVATE_KEY", "REPORTS_VAPID_PUBLIC_KEY"},
}
# Read by the OpenTelemetry SDK itself, not by a settings class.
STANDARD_VARIABLES = {"OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_TRACES_EXPORTER", "OTEL_SERVICE_NAME"}


def variables(settings: type[BaseSettings]) -> dict[str, Any]:
    """Each environment variable the class reads, with its field's annotation and default."""
    prefix = settings.model_config.get("env_prefix", "")
    found = {}
    for name, field in settings.model_fields.items():
        alias = field.validation_alias
        variable = alias if isinstance(alias, str) else f"{prefix}{name}".upper()
        found[variable] = field
    return found


def load_kubectl() -> ModuleType:
    spec = importlib.util.spec_from_file_location("k8s_kubectl", ROOT / "deploy/k8s/kubectl.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def rendered(directory: Path = BASE) -> list[dict[str, Any]]:
    """What kubectl renders: generated ConfigMaps get their hashed names there."""
    kubectl = load_kubectl().find_or_install()
    result = subprocess.run(
        [str(kubectl), "kustomize", str(directory)], capture_output=True, text=True, check=True
    )
    return [d for d in yaml.safe_load_all(result.stdout) if d]


def config_maps() -> dict[str, dict[str, str]]:
    return {d["metadata"]["name"]: d["data"] for d in rendered() if d["kind"] == "ConfigMap"}


def config_map(prefix: str) -> dict[str, str]:
    """The data of the generated ConfigMap `prefix-<hash>`."""
    (name,) = [n for n in config_maps() if n.rsplit("-", 1)[0] == prefix]
    return config_maps()[name]


def container(service: str) -> dict[str, Any]:
    (deployment,) = [
        d for d in rendered() if d["kind"] == "Deployment" and d["metadata"]["name"] == service
    ]
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(only)


def environment(service: str) -> dict[str, str]:
    """Variable → where the Deployment takes it from (a ConfigMap or Secret name)."""
    spec = container(service)
    found: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            found |= dict.fromkeys(config_maps()[name], name)
        else:
            name = source["secretRef"]["name"]
            found |= dict.fromkeys(SECRET_KEYS.get(name, ()), name)
    for variable in spec.get("env", []):
        found[variable["name"]] = variable["valueFrom"]["secretKeyRef"]["name"]
    return found


@pytest.mark.parametrize("service", SETTINGS)
def test_every_key_a_service_gets_is_a_setting_it_reads(service: str) -> None:
    known = variables(SETTINGS[service])

    stray = set(environment(service)) - set(known) - STANDARD_VARIABLES
    assert not stray, f"{service} gets variables no setting reads (misspelt or stale): {stray}"


@pytest.mark.parametrize("service", SETTINGS)
def test_every_setting_with_a_plain_default_is_in_a_config_map(service: str) -> None:
    # Unset on purpose, and said so in each ConfigMap's comment: optional values (None) and
    # file locations, which default to the data shipped inside the image.
    given = environment(service)
    for variable, field in variables(SETTINGS[service]).items():
        if field.default is None or isinstance(field.default, Path):
            continue
        assert variable in given, f"add {variable} to the ConfigMap or Secret of {service}"
        if isinstance(field.default, SecretStr):
            assert given[variable] in SECRET_KEYS, f"{variable} must come from a Secret"
        else:
            assert given[variable] in config_maps() or variable == "MONGODB_URL", variable


def container_ports(service: str) -> dict[str, int]:
    return {p["name"]: p["containerPort"] for p in container(service)["ports"]}


@pytest.mark.parametrize("service", SETTINGS)
def test_a_service_listens_on_its_container_ports_on_all_interfaces(service: str) -> None:
    config = config_map(service)
    prefix = service.upper()

    assert config[f"{prefix}_HOST"] == "0.0.0.0"
    assert int(config[f"{prefix}_PORT"]) == container_ports(service)["http"]
    assert (
        int(config_map("stadtmelder-connection")["METRICS_PORT"])
        == (container_ports(service)["metrics"])
    )


@pytest.mark.parametrize("service", SETTINGS)
def test_each_service_logs_in_to_kafka_as_its_own_user(service: str) -> None:
    connection = config_map("stadtmelder-connection")
    users = {d["metadata"]["name"] for d in rendered() if d["kind"] == "KafkaUser"}

    assert connection["KAFKA_SECURITY_PROTOCOL"] == "SASL_SSL"
    assert config_map(service)["KAFKA_SASL_USERNAME"] == f"service-{service}"
    assert environment(service)["KAFKA_SASL_PASSWORD"] == f"service-{service}"
    assert f"service-{service}" in users


def test_the_services_leave_topic_creation_to_the_kafka_topic_resources() -> None:
    assert config_map("stadtmelder-connection")["KAFKA_CREATE_TOPICS"] == "false"


@pytest.mark.parametrize("overlay", ["dev", "prod", "prod-ingress", "mongodb-in-cluster"])
def test_no_public_route_reaches_a_metrics_port(overlay: str) -> None:
    manifests = rendered(ROOT / "deploy" / "k8s" / "overlays" / overlay)
    ports = {
        (d["metadata"]["name"], p["port"]): p.get("name")
        for d in manifests
        if d["kind"] == "Service"
        for p in d["spec"]["ports"]
    }
    routed = [
        (ref["name"], ref["port"])
        for d in manifests
        if d["kind"] == "HTTPRoute"
        for rule in d["spec"]["rules"]
        for ref in rule["backendRefs"]
    ] + [
        (path["backend"]["service"]["name"], path["backend"]["service"]["port"]["name"])
        for d in manifests
        if d["kind"] == "Ingress"
        for rule in d["spec"]["rules"]
        for path in rule["http"]["paths"]
    ]

    assert routed
    for service, port in routed:
        assert ports.get((service, port), port) == "http", (service, port)


# Stand-ins for the Secrets the secret store and Strimzi provide; valid in form, like real ones.
PLACEHOLDER_SECRETS = {
    "MONGODB_URL": "mongodb://stadtmelder:secret@db1,db2,db3/?replicaSet=rs0",
    "KAFKA_SASL_PASSWORD": "a-password-the-user-operator-generated",
    "NOTIFY_LINK_SECRET": "a-production-link-secret-of-48-characters-length",
    "NOTIFY_VAPID_PRIVATE_KEY": "KsrBHlLzjy8k9trRMjHI1r0kYBKZYW3oljc9tfREn2Y",
    "REPORTS_VAPID_PUBLIC_KEY": (
        "BJhJWChlwLdTTBLwHq4D9U7_CU3WUh6LFSDhM8nTAanXu2eO0LUlNCD9KFYG5vXI16cGNM-x5WA_4wP9rhlRcoE"
    ),
}


@pytest.mark.parametrize("overlay", ["dev", "prod", "prod-ingress", "mongodb-in-cluster"])
@pytest.mark.parametrize("service", SETTINGS)
def test_each_service_accepts_the_settings_an_overlay_gives_it(
    overlay: str, service: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    manifests = rendered(ROOT / "deploy" / "k8s" / "overlays" / overlay)
    data = {
        (d["kind"], d["metadata"]["name"]): d.get("data", {})
        for d in manifests
        if d["kind"] in ("ConfigMap", "Secret")
    }
    (deployment,) = [
        d for d in manifests if d["kind"] == "Deployment" and d["metadata"]["name"] == service
    ]
    (spec,) = deployment["spec"]["template"]["spec"]["containers"]
    for variable in variables(SETTINGS[service]):
        monkeypatch.delenv(variable, raising=False)
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            for key, value in data[("ConfigMap", source["configMapRef"]["name"])].items():
                monkeypatch.setenv(key, value)
    for variable in spec.get("env", []):
        # Generated Secrets (dev) carry their values; referenced ones get stand-ins.
        ref = variable["valueFrom"]["secretKeyRef"]
        encoded = data.get(("Secret", ref["name"]), {}).get(ref["key"])
        value = base64.b64decode(encoded).decode() if encoded else None
        monkeypatch.setenv(variable["name"], value or PLACEHOLDER_SECRETS[variable["name"]])
    for source in spec.get("envFrom", []):
        name = source.get("secretRef", {}).get("name")
        for key, encoded in data.get(("Secret", name), {}).items():
            monkeypatch.setenv(key, base64.b64decode(encoded).decode())
        if name == "stadtmelder-links" and ("Secret", name) not in data:
            monkeypatch.setenv("NOTIFY_LINK_SECRET", PLACEHOLDER_SECRETS["NOTIFY_LINK_SECRET"])

    settings = SETTINGS[service]()

    assert settings.model_dump()["port"] == spec["ports"][0]["containerPort"]


@pytest.mark.parametrize("overlay", ["dev", "prod", "mongodb-in-cluster"])
def test_fleet_checks_staff_tokens_as_reports_does(overlay: str) -> None:
    manifests = rendered(ROOT / "deploy" / "k8s" / "overlays" / overlay)
    data = {
        d["metadata"]["name"].rsplit("-", 1)[0]: d["data"]
        for d in manifests
        if d["kind"] == "ConfigMap"
    }
    fleet = FleetSettings.model_validate(
        {k.removeprefix("FLEET_").lower(): v for k, v in data["fleet"].items()}
    )
    reports = {k.removeprefix("REPORTS_"): v for k, v in data["reports"].items()}

    assert fleet.staff_jwks_url == reports.get("STAFF_JWKS_URL")
    assert fleet.staff_issuer == reports.get("STAFF_ISSUER", "stadtmelder-local")
    assert fleet.staff_audience == reports["STAFF_AUDIENCE"]


def test_the_in_cluster_database_user_may_write_every_database_a_service_uses() -> None:
    manifests = rendered(ROOT / "deploy" / "k8s" / "overlays" / "mongodb-in-cluster")
    config: dict[str, str] = {}
    for document in manifests:
        if document["kind"] == "ConfigMap":
            config.update(document.get("data", {}))
    (mongodb,) = [d for d in manifests if d["kind"] == "MongoDBCommunity"]
    (user,) = mongodb["spec"]["users"]
    granted = {role["db"] for role in user["roles"] if role["name"] == "readWrite"}
    used = {
        config.get(
            f"{service.upper()}_MONGODB_DATABASE", settings.model_fields["mongodb_database"].default
        )
        for service, settings in SETTINGS.items()
    }
    used.add(
        config.get(
            "DATA_KEYS_DATABASE", ConnectionSettings.model_fields["data_keys_database"].default
        )
    )

    assert used <= granted, f"no readWrite role for {sorted(used - granted)}"
