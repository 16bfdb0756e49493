"""Connection settings every service shares; each service extends them with its own prefix."""

from pathlib import Path
from typing import Literal, Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings


class ConnectionSettings(BaseSettings):
    """Where Kafka and MongoDB are; the names match the ConfigMap keys without a service prefix."""

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    # A cluster's services log in (SASL/SCRAM over TLS, stadtmelder_shared.kafka_security);
    # the local broker is plain text on the loopback.
    kafka_security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        "PLAINTEXT", validation_alias="KAFKA_SECURITY_PROTOCOL"
    )
    kafka_sasl_mechanism: Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"] = Field(
        "SCRAM-SHA-512", validation_alias="KAFKA_SASL_MECHANISM"
    )
    kafka_sasl_username: str | None = Field(None, validation_alias="KAFKA_SASL_USERNAME")
    kafka_sasl_password: SecretStr | None = Field(None, validation_alias="KAFKA_SASL_PASSWORD")
    # The CA that signed the brokers' certificates (Strimzi's cluster CA); unset: the system's.
    kafka_ssl_cafile: Path | None = Field(None, validation_alias="KAFKA_SSL_CAFILE")
    mongodb_url: str = Field("mongodb://127.0.0.1:27017", validation_alias="MONGODB_URL")
    # The data keys contact fields in events are sealed under, in a database of their own
    # (stadtmelder_shared.data_keys): erasure destroys them there, apart from the events.
    data_keys_database: str = Field("stadtmelder_keys", validation_alias="DATA_KEYS_DATABASE")
    jurisdiction: str = Field("duisburg", validation_alias="JURISDICTION")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
    # Used only when a service creates its missing topics at startup (local runs, tests).
    kafka_topic_partitions: int = Field(3, validation_alias="KAFKA_TOPIC_PARTITIONS")
    kafka_replication_factor: int = Field(1, validation_alias="KAFKA_REPLICATION_FACTOR")
    kafka_create_topics: bool = Field(True, validation_alias="KAFKA_CREATE_TOPICS")
    # The city's department directory; the shipped example when unset. Every service reads it.
    departments_file: Path | None = Field(None, validation_alias="DEPARTMENTS_FILE")
    # Spans as JSON lines, one file per process, for a machine without a collector; traces
    # otherwise go where the standard OTEL_* variables say (stadtmelder_shared.tracing).
    traces_dir: Path | None = Field(None, validation_alias="TRACES_DIR")
    # `/metrics` on a port of its own, for Prometheus alone; unset: on the service's port.
    metrics_port: int | None = Field(None, validation_alias="METRICS_PORT")

    @model_validator(mode="after")
    def _sasl_has_a_login(self) -> Self:
        sasl = self.kafka_security_protocol.startswith("SASL_")
        if sasl and not (self.kafka_sasl_username and self.kafka_sasl_password):
            raise ValueError(
                f"KAFKA_SECURITY_PROTOCOL={self.kafka_security_protocol} needs "
                "KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"
            )
        return self


class ServiceSettings(ConnectionSettings):
    """Where a service is reached and what it connects to; its own settings extend these under
    its prefix (`REPORTS_HOST`, `ROUTING_HOST`, ...)."""

    # Local runs listen on loopback only; a pod sets 0.0.0.0 in its ConfigMap.
    host: str = "127.0.0.1"


class MailServerSettings(BaseSettings):
    """The `SMTP_*` variables of the one mail server routing and notify both send through; the
    sender and the staff link their mails carry are set per service, under its prefix."""

    smtp_host: str = Field("127.0.0.1", validation_alias="SMTP_HOST")
    smtp_port: int = Field(1025, validation_alias="SMTP_PORT")
    smtp_username: str | None = Field(None, validation_alias="SMTP_USERNAME")
    smtp_password: SecretStr | None = Field(None, validation_alias="SMTP_PASSWORD")
    smtp_starttls: bool = Field(False, validation_alias="SMTP_STARTTLS")
    mail_from: str = "Stadtmelder Duisburg <noreply@stadtmelder.invalid>"
    # Where staff open one report, linked from mails to departments and their leads.
    staff_url_template: str = "http://127.0.0.1:8000/staff/reports/{report_id}"

    @property
    def smtp_password_value(self) -> str | None:
        return self.smtp_password.get_secret_value() if self.smtp_password else None
