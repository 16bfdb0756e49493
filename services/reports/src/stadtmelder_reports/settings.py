"""Settings of the reports service, read from `REPORTS_*` and the shared connection variables."""

from pathlib import Path

from pydantic_settings import SettingsConfigDict

from stadtmelder_shared.settings import ConnectionSettings


class ReportsSettings(ConnectionSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTS_")

    host: str = "127.0.0.1"
    port: int = 8000
    mongodb_database: str = "stadtmelder_reports"
    outbox_poll_seconds: float = 1.0
    kafka_group_id: str = "reports"
    public_base_url: str = "http://127.0.0.1:8000"
    # Official data replaces the shipped approximate boundary and catalogue.
    jurisdiction_dir: Path | None = None
    boundary_file: Path | None = None
    duplicate_radius_m: float = 50.0
    max_photo_bytes: int = 10 * 1024 * 1024
    # Per client address (web page) and minute; apps with an API key have their own limit.
    submissions_per_minute: int = 10
    # Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed; none by
    # default, so a client cannot fake its address to dodge the rate limit.
    trusted_proxies: str = ""

    # Staff sign-in. Production: the OIDC provider's JWKS URL and issuer. Without a JWKS URL
    # tokens are checked with the public half of a local development key (`make token`).
    staff_jwks_url: str | None = None
    staff_issuer: str | None = None
    staff_audience: str = "stadtmelder-staff"
    staff_signing_key_file: Path = Path("var/staff-signing-key.pem")
