"""Settings of the reports service, read from `REPORTS_*` and the shared connection variables."""

from pathlib import Path
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from stadtmelder_shared.link_tokens import DEVELOPMENT_LINK_SECRET
from stadtmelder_shared.settings import ServiceSettings

LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MIN_SECRET_LENGTH = 32


class ReportsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="REPORTS_")

    port: int = 8000
    mongodb_database: str = "stadtmelder_reports"
    # The outbox relays' safety-net scan; every write wakes them at once (see outbox.py).
    outbox_poll_seconds: float = 10.0
    # How often the retention round looks for what is due (contact data, photos, staff reads).
    retention_interval_seconds: float = Field(21600.0, gt=0)
    kafka_group_id: str = "reports"
    # How long a write sent to the report's owner (see `commands`) waits for it before 202.
    command_wait_seconds: float = Field(8.0, gt=0)
    public_base_url: str = "http://127.0.0.1:8000"
    # Official data replaces the shipped approximate boundary and catalogue.
    jurisdiction_dir: Path | None = None
    boundary_file: Path | None = None
    duplicate_radius_m: float = 50.0
    max_photo_bytes: int = 10 * 1024 * 1024
    # Per client address (web page) and minute; apps with an API key have their own limit.
    submissions_per_minute: int = 10
    # How many replicas share the submission limits: each counts alone and enforces its share
    # (the limit divided by this), so together they allow about the limit (docs/scale-out.md).
    replicas: int = Field(1, ge=1)
    # Comma-separated addresses of reverse proxies whose X-Forwarded-For is believed; none by
    # default, so a client cannot fake its address to dodge the rate limit.
    trusted_proxies: str = ""

    # Staff sign-in. Production: the OIDC provider's JWKS URL and issuer. Without a JWKS URL
    # tokens are checked with the public half of a local development key (`make token`).
    staff_jwks_url: str | None = None
    staff_issuer: str | None = None
    staff_audience: str = "stadtmelder-staff"
    staff_signing_key_file: Path = Path("var/staff-signing-key.pem")
    # Staff pages sign in through the city's OpenID Provider (authorization code flow with
    # PKCE); discovery at <issuer>/.well-known/openid-configuration. docs/operations.md shows
    # Keycloak's and Entra ID's values.
    oidc_issuer: str | None = None
    oidc_client_id: str = "stadtmelder"
    # Empty for a public client (PKCE alone); set for a confidential one (client_secret_basic).
    oidc_client_secret: SecretStr | None = None
    oidc_scopes: str = "openid profile"
    # Claim names (or dotted paths such as realm_access.roles) and, as JSON objects, how the
    # provider's values read here: {"Stadtmelder.Clerk": "clerk"}, {"/wbd-strasse": "wbd-strasse"}.
    oidc_roles_claim: str = "roles"
    oidc_department_claim: str = "department"
    oidc_role_values: dict[str, str] = Field(default_factory=dict)
    oidc_department_values: dict[str, str] = Field(default_factory=dict)
    staff_session_hours: float = Field(8.0, gt=0, le=24)
    # Local development only (`make run`, tests): the sign-in page also takes a pasted
    # `make token` token. Off in production.
    staff_development_tokens: bool = False

    # Web pages: the map's tile server (an operator's own in production; the pages stay usable
    # without tiles) and the folder `npm ci` filled with Leaflet (services/reports/web-assets).
    map_tile_url: str = "https://tile.openstreetmap.org/{z}/{x}/{y}.png"
    map_attribution: str = "© OpenStreetMap contributors"
    web_assets_dir: Path = Path(__file__).resolve().parents[2] / "web-assets" / "node_modules"
    # The report form's address search: a Nominatim-compatible `/search` URL (the operator's
    # own or one whose usage policy allows it); empty keeps the address as free text only.
    geocoder_url: str = ""

    # How long personal data is kept (days); the public page "Ihre Daten" states them. Contact
    # data and photos count from the day the report was closed. The record of staff reads of
    # contact data is kept two years, so a reporter (or the data protection officer) can still
    # follow, well after the report, who used the data.
    contact_retention_days: int = Field(90, ge=1)
    photo_retention_days: int = Field(365, ge=1)
    audit_retention_days: int = Field(730, ge=1)

    # Web Push: the public half of notify's NOTIFY_VAPID_PRIVATE_KEY, for pages to subscribe
    # with; required unless the public base URL is local, where both services use this file.
    vapid_public_key: str | None = None
    vapid_key_file: Path = Path("var/vapid-private-key.pem")

    # Open data (/open-data): the licence as its dcat-ap.de URI (Datenlizenz Deutschland –
    # Namensnennung 2.0 unless the city chooses another), the name users must credit, the
    # publisher and its contact for the DCAT-AP.de catalogue, and the city's Gemeindeschlüssel.
    # The contributor ID is the URI GovData lists for the harvesting portal (dcatde:contributorID,
    # e.g. http://dcat-ap.de/def/contributors/openNRW); left out of the catalogue while unset.
    open_data_licence: str = "http://dcat-ap.de/def/licenses/dl-by-de/2.0"
    open_data_attribution: str = "Stadt Duisburg / Stadtmelder"
    open_data_publisher: str = "Stadt Duisburg"
    open_data_contact_email: str | None = None
    open_data_municipality_key: str = "05112000"
    open_data_contributor_id: str | None = None

    # Statistics (/statistics): each replica counts the events of its partitions at once and
    # rebuilds its figures from all stored facts this often, to learn of the other replicas'.
    # A rebuild reads every report's facts: 50,000 took 105 s of FerretDB on SQLite (bench).
    statistics_rebuild_seconds: float = Field(3600.0, gt=0)

    # Checks the feedback and unsubscribe links that notify signs: the same Secret key as notify.
    link_secret: SecretStr = Field(
        SecretStr(DEVELOPMENT_LINK_SECRET), validation_alias="NOTIFY_LINK_SECRET"
    )

    @model_validator(mode="after")
    def _no_development_secret_in_public(self) -> "ReportsSettings":
        host = urlsplit(self.public_base_url).hostname or ""
        secret = self.link_secret.get_secret_value()
        if secret == DEVELOPMENT_LINK_SECRET and host not in LOCAL_HOSTS:
            raise ValueError(
                "NOTIFY_LINK_SECRET must be set (the same value for reports and notify) when "
                f"the public base URL is not local ({self.public_base_url})"
            )
        if secret != DEVELOPMENT_LINK_SECRET and len(secret) < MIN_SECRET_LENGTH:
            raise ValueError(f"NOTIFY_LINK_SECRET needs at least {MIN_SECRET_LENGTH} characters")
        return self
