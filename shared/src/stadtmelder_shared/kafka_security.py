"""How a service logs in to Kafka: SASL/SCRAM over TLS on a cluster, plain text on one machine."""

import ssl
from typing import Any

from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from stadtmelder_shared.settings import ConnectionSettings

MECHANISMS: dict[str, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
    "SCRAM-SHA-512": SASLScram512,
    "SCRAM-SHA-256": SASLScram256,
    "PLAIN": SASLPlaintext,
}


def broker_security(settings: ConnectionSettings) -> BaseSecurity | None:
    """FastStream's security of the `KAFKA_SECURITY_PROTOCOL` and friends; None for plain text."""
    protocol = settings.kafka_security_protocol
    if protocol == "PLAINTEXT":
        return None
    context = None
    if protocol.endswith("SSL"):
        cafile = str(settings.kafka_ssl_cafile) if settings.kafka_ssl_cafile else None
        context = ssl.create_default_context(cafile=cafile)
    if protocol == "SSL":
        return BaseSecurity(ssl_context=context)
    # The settings refuse a SASL protocol without both (ConnectionSettings._sasl_has_a_login).
    secret = settings.kafka_sasl_password
    return MECHANISMS[settings.kafka_sasl_mechanism](
        settings.kafka_sasl_username or "",
        secret.get_secret_value() if secret else "",
        ssl_context=context,
        use_ssl=context is not None,
    )


def client_options(settings: ConnectionSettings) -> dict[str, Any]:
    """The same login as keyword arguments of aiokafka's own clients (consumer, admin)."""
    return parse_security(broker_security(settings))
