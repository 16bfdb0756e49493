"""Signed links in citizens' mails: notify signs them, the reports service checks them.

A token is `<report id>.<recipient key>.<mac>`: the recipient key is a keyed hash of report and
address (never the address), the mac an HMAC of purpose, report and key under
`NOTIFY_LINK_SECRET`, which both services share. Unguessable without the secret, checkable with it.
"""

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass, field
from enum import StrEnum

# Good enough for a laptop, never for a city: both services refuse it behind a public base URL.
DEVELOPMENT_LINK_SECRET = "development-only-link-secret-not-for-production"  # noqa: S105
_MAC_BYTES = 18
_RECIPIENT_KEY = re.compile(r"[0-9a-f]{64}")


class LinkPurpose(StrEnum):
    """What a link may do; a token signed for one purpose is refused for the other."""

    FEEDBACK = "feedback"
    PREFERENCES = "preferences"
    ERASURE = "erasure"
    # The double opt-in of a supporter's address.
    SUPPORT = "support"


@dataclass(frozen=True)
class LinkHolder:
    """Whom a signed link was made for: a report and a recipient key, never an address."""

    report_id: str
    recipient: str


def link_token(secret: bytes, purpose: LinkPurpose, report_id: str, recipient: str) -> str:
    """`<report id>.<recipient key>.<mac>` for `purpose`."""
    message = f"stadtmelder-link|v1|{purpose.value}|{report_id}|{recipient}".encode()
    mac = hmac.new(secret, message, hashlib.sha256).digest()[:_MAC_BYTES]
    return f"{report_id}.{recipient}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


def link_holder(secret: bytes, purpose: LinkPurpose, token: str) -> LinkHolder | None:
    """Whom `token` was signed for, for `purpose`; None if it was changed, cut or not ours."""
    report_id, _, rest = token.partition(".")
    recipient, _, _ = rest.partition(".")
    if not report_id or not _RECIPIENT_KEY.fullmatch(recipient):
        return None
    expected = link_token(secret, purpose, report_id, recipient)
    if not hmac.compare_digest(expected.encode(), token.encode()):
        return None
    return LinkHolder(report_id, recipient)


@dataclass(frozen=True)
class RecipientKeys:
    """Who a message about one report goes to, as an HMAC-SHA256 of report and address under a
    key derived from the link secret: the address never leaves notify, and knowing an address
    and a public report id is not enough to recompute its key (a plain hash would be)."""

    key: bytes = field(repr=False)

    @classmethod
    def under(cls, link_secret: bytes) -> "RecipientKeys":
        # Derived, so that a recipient key never doubles as a link's mac or a webhook secret.
        return cls(hmac.new(link_secret, b"stadtmelder-recipient-key|v2", hashlib.sha256).digest())

    def of(self, report_id: str, address: str) -> str:
        message = f"{report_id}|{address.lower()}".encode()
        return hmac.new(self.key, message, hashlib.sha256).hexdigest()


# Tests and a laptop; each service's wiring passes the keys under its own NOTIFY_LINK_SECRET.
DEVELOPMENT_RECIPIENT_KEYS = RecipientKeys.under(DEVELOPMENT_LINK_SECRET.encode())
