"""Settings of the routing service, read from `ROUTING_*` and the shared connection variables."""

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from stadtmelder_shared.settings import ConnectionSettings


class RoutingSettings(ConnectionSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTING_")

    host: str = "127.0.0.1"
    port: int = 8001
    mongodb_database: str = "stadtmelder_routing"
    kafka_group_id: str = "routing"
    # A city's real directory replaces the shipped example (a ConfigMap on Kubernetes).
    departments_file: Path | None = None
    responsibility_dir: Path | None = None
    duplicate_radius_m: float = 50.0
    sla_check_seconds: float = 60.0
