"""The ConfigMap and Secret keys in deploy/k8s are the settings' variable names, one to one."""

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import SecretStr
from pydantic_settings import BaseSettings

from stadtmelder_notify.settings import NotifySettings
from stadtmelder_reports.settings import ReportsSettings
from stadtmelder_routing.settings import RoutingSettings

ROOT = Path(__file__).resolve().parents[2]
BASE = ROOT / "deploy" / "k8s" / "base"
SETTINGS: dict[str, type[BaseSettings]] = {
    "reports": ReportsSettings,
    "routing": RoutingSettings,
    "notify": NotifySettings,
}
# The Secrets the base references but an operator creates, and the keys each must have;
# docs/operations.md tells how.
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


def documents(path: Path) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all(path.read_text(encoding="utf-8")) if d]


CONFIG_MAPS = {
    d["metadata"]["name"]: d["data"]
    for path in BASE.rglob("*.yaml")
    for d in documents(path)
    if d.get("kind") == "ConfigMap"
}


def container(service: str) -> dict[str, Any]:
    (deployment,) = documents(BASE / service / "deployment.yaml")
    (only,) = deployment["spec"]["template"]["spec"]["containers"]
    return dict(only)


def environment(service: str) -> dict[str, str]:
    """Variable → where the Deployment takes it from (a ConfigMap or Secret name)."""
    spec = container(service)
    found: dict[str, str] = {}
    for source in spec.get("envFrom", []):
        if "configMapRef" in source:
            name = source["configMapRef"]["name"]
            found |= dict.fromkeys(CONFIG_MAPS[name], name)
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
            assert given[variable] in CONFIG_MAPS or variable == "MONGODB_URL", variable


@pytest.mark.parametrize("service", SETTINGS)
def test_a_service_listens_on_its_container_port_on_all_interfaces(service: str) -> None:
    config = CONFIG_MAPS[service]
    prefix = service.upper()
    (port,) = container(service)["ports"]

    assert config[f"{prefix}_HOST"] == "0.0.0.0"
    assert int(config[f"{prefix}_PORT"]) == port["containerPort"]


def test_the_services_leave_topic_creation_to_the_kafka_topic_resources() -> None:
    assert CONFIG_MAPS["stadtmelder-connection"]["KAFKA_CREATE_TOPICS"] == "false"


def test_metrics_of_reports_are_refused_from_outside_the_cluster() -> None:
    ingresses = {d["metadata"]["name"]: d for d in documents(BASE / "reports" / "ingress.yaml")}
    internal = ingresses["reports-internal"]

    (rule,) = internal["spec"]["rules"]
    assert [p["path"] for p in rule["http"]["paths"]] == ["/metrics"]
    assert rule["host"] == ingresses["reports"]["spec"]["rules"][0]["host"]
    denied = internal["metadata"]["annotations"][
        "nginx.ingress.kubernetes.io/denylist-source-range"
    ]
    assert set(denied.split(",")) == {"0.0.0.0/0", "::/0"}
