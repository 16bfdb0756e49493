"""Settings of the reports service, read from `REPORTS_*` and the shared connection variables."""

from pydantic_settings import SettingsConfigDict
from stadtmelder_shared.settings import ConnectionSettings


class ReportsSettings(ConnectionSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTS_")

    host: str = "127.0.0.1"
    port: int = 8000
    mongodb_database: str = "stadtmelder_reports"
    outbox_poll_seconds: float = 1.0
    kafka_group_id: str = "reports"
