"""Settings of the routing service, read from `ROUTING_*` and the shared connection variables."""

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from stadtmelder_shared.settings import MailServerSettings, ServiceSettings


class RoutingSettings(ServiceSettings, MailServerSettings):
    model_config = SettingsConfigDict(env_prefix="ROUTING_")

    port: int = 8001
    mongodb_database: str = "stadtmelder_routing"
    kafka_group_id: str = "routing"
    responsibility_dir: Path | None = None
    duplicate_radius_m: float = 50.0
    sla_check_seconds: float = 60.0
    # Send methods: retries per round, and how often failed sends are tried again.
    send_attempts: int = 5
    send_first_wait_seconds: float = 0.5
    send_max_wait_seconds: float = 30.0
    send_lease_seconds: float = 30.0
    send_timeout_seconds: float = 10.0
    send_retry_interval_seconds: float = 60.0
