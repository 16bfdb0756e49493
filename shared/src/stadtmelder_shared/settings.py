"""Connection settings every service shares; each service extends them with its own prefix."""

from pydantic import Field
from pydantic_settings import BaseSettings


class ConnectionSettings(BaseSettings):
    """Where Kafka and MongoDB are; the names match the ConfigMap keys without a service prefix."""

    kafka_bootstrap_servers: str = Field(
        "127.0.0.1:9092", validation_alias="KAFKA_BOOTSTRAP_SERVERS"
    )
    mongodb_url: str = Field("mongodb://127.0.0.1:27017", validation_alias="MONGODB_URL")
    jurisdiction: str = Field("duisburg", validation_alias="JURISDICTION")
    log_level: str = Field("INFO", validation_alias="LOG_LEVEL")
