"""Links in citizens' mails: tracking, the report, and signed links for feedback and preferences.

A signed link carries the report id, the recipient's key (a hash of report and address, never
the address) and an HMAC of both with the secret `NOTIFY_LINK_SECRET`, which the reports service
shares to check it. The format is a contract with `stadtmelder_reports.preferences`; a unit test
keeps the two sides equal.
"""

import base64
import hashlib
import hmac
from typing import Literal
from urllib.parse import quote

LinkPurpose = Literal["feedback", "preferences"]
Outcome = Literal["fixed", "partly", "not_fixed"]
OUTCOMES: tuple[Outcome, ...] = ("fixed", "partly", "not_fixed")
# Good enough for a laptop, never for a city: settings refuse it behind a public base URL.
DEVELOPMENT_LINK_SECRET = "development-only-link-secret-not-for-production"  # noqa: S105
_MAC_BYTES = 18


def recipient_key(report_id: str, address: str) -> str:
    """Who a message about one report goes to, as a hash: the address never leaves notify."""
    return hashlib.sha256(f"{report_id}|{address.lower()}".encode()).hexdigest()


def link_token(secret: bytes, purpose: LinkPurpose, report_id: str, recipient: str) -> str:
    """`<report id>.<recipient key>.<mac>`; unguessable without the secret, checkable with it."""
    message = f"stadtmelder-link|v1|{purpose}|{report_id}|{recipient}".encode()
    mac = hmac.new(secret, message, hashlib.sha256).digest()[:_MAC_BYTES]
    return f"{report_id}.{recipient}.{base64.urlsafe_b64encode(mac).decode().rstrip('=')}"


class MailLinks:
    """Absolute links into the reports service's public pages and API, for one deployment.

    A person opens the report and tracking links in a browser, so they point at the pages; the
    token links answer a browser with a page and an app with JSON.
    """

    def __init__(self, base_url: str, secret: bytes) -> None:
        self._base = base_url.rstrip("/")
        self._secret = secret

    def report(self, report_id: str, language: str) -> str:
        return f"{self._base}/reports/{quote(report_id)}?lang={language}"

    def tracking(self, tracking_token: str, language: str) -> str:
        return f"{self._base}/track/{quote(tracking_token)}?lang={language}"

    def unsubscribe(self, report_id: str, address: str) -> str:
        """Also the `List-Unsubscribe` target: a POST to it unsubscribes in one click."""
        token = self._token("preferences", report_id, address)
        return f"{self._base}/api/v1/notifications/unsubscribe/{token}"

    def language(self, report_id: str, address: str, language: str) -> str:
        token = self._token("preferences", report_id, address)
        return f"{self._base}/api/v1/notifications/preferences/{token}?language={language}"

    def feedback(
        self, report_id: str, address: str, language: str, outcome: Outcome | None = None
    ) -> str:
        token = self._token("feedback", report_id, address)
        chosen = f"&outcome={outcome}" if outcome else ""
        return f"{self._base}/api/v1/feedback/{token}?lang={language}{chosen}"

    def _token(self, purpose: LinkPurpose, report_id: str, address: str) -> str:
        return link_token(self._secret, purpose, report_id, recipient_key(report_id, address))
