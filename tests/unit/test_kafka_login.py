"""A cluster's services log in to Kafka with SCRAM over TLS; the local broker stays plain text."""

import datetime
import ssl
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from faststream.security import SASLScram512
from pydantic import ValidationError

from stadtmelder_routing.settings import RoutingSettings
from stadtmelder_shared.kafka_security import broker_security, client_options


def cluster_ca(path: Path) -> Path:
    """A self-signed CA certificate, like the one Strimzi's cluster CA Secret carries."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "cluster-ca")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return path


def test_locally_the_services_speak_plain_text_without_a_login(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("KAFKA_SECURITY_PROTOCOL", raising=False)

    settings = RoutingSettings()

    assert broker_security(settings) is None
    assert client_options(settings) == {}


def test_on_a_cluster_the_services_log_in_with_scram_over_tls_trusting_the_cluster_ca(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    ca = cluster_ca(tmp_path / "ca.crt")
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "service-routing")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "from-the-kafka-user-secret")
    monkeypatch.setenv("KAFKA_SSL_CAFILE", str(ca))

    settings = RoutingSettings()
    security = broker_security(settings)
    options = client_options(settings)

    assert isinstance(security, SASLScram512)
    assert security.username == "service-routing"
    assert security.password == "from-the-kafka-user-secret"
    assert options["security_protocol"] == "SASL_SSL"
    assert options["sasl_mechanism"] == "SCRAM-SHA-512"
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert [c["subject"] for c in context.get_ca_certs()] == [((("commonName", "cluster-ca"),),)]


def test_a_sasl_protocol_without_a_password_is_refused_at_start(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "service-routing")
    monkeypatch.delenv("KAFKA_SASL_PASSWORD", raising=False)

    with pytest.raises(ValidationError, match="needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"):
        RoutingSettings()
