"""Settings of the notify service: `NOTIFY_*`, `SMTP_*` and the shared connection variables."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from stadtmelder_shared.settings import ConnectionSettings


class NotifySettings(ConnectionSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_")

    host: str = "127.0.0.1"
    port: int = 8002
    mongodb_database: str = "stadtmelder_notify"
    kafka_group_id: str = "notify"
    public_base_url: str = "http://127.0.0.1:8000"
    staff_url_template: str = "http://127.0.0.1:8000/api/v1/staff/reports/{report_id}"
    mail_from: str = "Stadtmelder Duisburg <noreply@stadtmelder.invalid>"
    # Another replica's claim on a delivery is taken over once this has passed.
    delivery_lease_seconds: float = 15.0

    smtp_host: str = Field("127.0.0.1", validation_alias="SMTP_HOST")
    smtp_port: int = Field(1025, validation_alias="SMTP_PORT")
    smtp_username: str | None = Field(None, validation_alias="SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(None, validation_alias="SMTP_PASSWORD")
    smtp_starttls: bool = Field(False, validation_alias="SMTP_STARTTLS")
