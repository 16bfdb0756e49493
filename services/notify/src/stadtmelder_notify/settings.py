"""Settings of the notify service: `NOTIFY_*`, `SMTP_*` and the shared connection variables."""

import logging
from datetime import UTC, tzinfo
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import SettingsConfigDict

from stadtmelder_shared.link_tokens import DEVELOPMENT_LINK_SECRET
from stadtmelder_shared.settings import MailServerSettings, ServiceSettings

log = logging.getLogger(__name__)
LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "::1"})
MIN_SECRET_LENGTH = 32


class NotifySettings(ServiceSettings, MailServerSettings):
    model_config = SettingsConfigDict(env_prefix="NOTIFY_")

    port: int = 8002
    mongodb_database: str = "stadtmelder_notify"
    kafka_group_id: str = "notify"
    public_base_url: str = "http://127.0.0.1:8000"
    # Another replica's claim on a delivery is taken over once this has passed.
    delivery_lease_seconds: float = 15.0
    # Where each process notes a message the moment its server accepted it, until the delivery
    # log has it: a kill -9 in between must not send it twice. Must outlive the process (on
    # Kubernetes an emptyDir, which survives a container's restart).
    sent_journal_dir: Path = Path("var/notify-journal")
    # Signs the feedback and unsubscribe links; the reports service checks them with the same
    # secret. Required wherever the public base URL is not local.
    link_secret: SecretStr = SecretStr(DEVELOPMENT_LINK_SECRET)
    # At most this many mails per person and hour; more wait, none are dropped.
    mails_per_recipient_per_hour: int = Field(20, ge=1)
    # Failed sends of one message (each with the mailer's own retries) before it is
    # dead-lettered to `<topic>.dlq`.
    delivery_max_failures: int = Field(8, ge=1)
    # How often mails kept back by the rate limit are looked at.
    deferred_poll_seconds: float = 15.0
    # Dates in mails ("expected to be done by") are given in the city's time zone.
    time_zone: str = "Europe/Berlin"

    # Web Push (VAPID, RFC 8292): the private key as PEM or base64url, required wherever the
    # public base URL is not local (checked when the service starts); locally a development
    # key is created in the file below, which reports reads too, for the pages' public half.
    vapid_private_key: SecretStr | None = None
    vapid_key_file: Path = Path("var/vapid-private-key.pem")
    # Whom push services contact about our messages (RFC 8292 `sub`): mailto: or https:.
    vapid_subject: str = Field(
        "mailto:stadtmelder@stadtmelder.invalid", pattern=r"^(mailto:[^@\s]+@[^@\s]+|https://\S+)$"
    )
    # Apps' webhooks and push services: how long one request may take.
    channel_timeout_seconds: float = 10.0

    @model_validator(mode="after")
    def _no_development_secret_in_public(self) -> "NotifySettings":
        host = urlsplit(self.public_base_url).hostname or ""
        development = self.link_secret.get_secret_value() == DEVELOPMENT_LINK_SECRET
        if development and host not in LOCAL_HOSTS:
            raise ValueError(
                "NOTIFY_LINK_SECRET must be set (the same value for reports and notify) when "
                f"the public base URL is not local ({self.public_base_url})"
            )
        if not development and len(self.link_secret.get_secret_value()) < MIN_SECRET_LENGTH:
            raise ValueError(f"NOTIFY_LINK_SECRET needs at least {MIN_SECRET_LENGTH} characters")
        return self

    @property
    def is_local(self) -> bool:
        return (urlsplit(self.public_base_url).hostname or "") in LOCAL_HOSTS

    alerts_group_id: str = "notify-alerts"


def local_zone(name: str) -> tzinfo:
    """The city's time zone (`NOTIFY_TIME_ZONE`) for dates in mails and the digests' days."""
    try:
        return ZoneInfo(name)
    except ZoneInfoNotFoundError:
        # An image without time zone data: dates in UTC are off by at most a few hours.
        log.warning("time zone %s unknown here; dates in mails and digest days follow UTC", name)
        return UTC
