"""Links in citizens' mails: tracking, the report, and signed links for feedback and preferences.

The signed links' tokens (`stadtmelder_shared.link_tokens`) carry the recipient's key, never the
address; the reports service checks them with the same secret.
"""

from typing import Literal
from urllib.parse import quote

from stadtmelder_shared.link_tokens import LinkPurpose, RecipientKeys, link_token

Outcome = Literal["fixed", "partly", "not_fixed"]
OUTCOMES: tuple[Outcome, ...] = ("fixed", "partly", "not_fixed")


class MailLinks:
    """Absolute links into the reports service's public pages and API, for one deployment.

    A person opens the report and tracking links in a browser, so they point at the pages; the
    token links answer a browser with a page and an app with JSON.
    """

    def __init__(self, base_url: str, secret: bytes) -> None:
        self._base = base_url.rstrip("/")
        self._secret = secret
        self.recipient_keys = RecipientKeys.under(secret)

    def recipient(self, report_id: str, address: str) -> str:
        """The recipient key the signed links to `address` about the report carry."""
        return self.recipient_keys.of(report_id, address)

    def report(self, report_id: str, language: str) -> str:
        return f"{self._base}/reports/{quote(report_id)}?lang={language}"

    def tracking(self, tracking_token: str, language: str) -> str:
        return f"{self._base}/track/{quote(tracking_token)}?lang={language}"

    def unsubscribe(self, report_id: str, address: str, language: str | None = None) -> str:
        """Also the `List-Unsubscribe` target: a POST to it unsubscribes in one click. Its page
        speaks the mail's `language`, which may be one chosen since the report was made."""
        token = self._token(LinkPurpose.PREFERENCES, report_id, address)
        return f"{self._base}/api/v1/notifications/unsubscribe/{token}{_shown(language)}"

    def language(self, report_id: str, address: str, language: str) -> str:
        token = self._token(LinkPurpose.PREFERENCES, report_id, address)
        return f"{self._base}/api/v1/notifications/preferences/{token}?language={language}"

    def erasure(self, report_id: str, address: str, language: str | None = None) -> str:
        """Deletes the recipient's contact data about the report, after a confirmation page
        in the mail's `language`."""
        token = self._token(LinkPurpose.ERASURE, report_id, address)
        return f"{self._base}/api/v1/erasure/{token}{_shown(language)}"

    def feedback(
        self, report_id: str, address: str, language: str, outcome: Outcome | None = None
    ) -> str:
        token = self._token(LinkPurpose.FEEDBACK, report_id, address)
        chosen = f"&outcome={outcome}" if outcome else ""
        return f"{self._base}/api/v1/feedback/{token}?lang={language}{chosen}"

    def support_confirmation(self, report_id: str, address: str, language: str) -> str:
        """Confirms a supporter's address (double opt-in), after a page with one button."""
        token = self._token(LinkPurpose.SUPPORT, report_id, address)
        return f"{self._base}/api/v1/supporters/confirm/{token}?lang={language}"

    def _token(self, purpose: LinkPurpose, report_id: str, address: str) -> str:
        return link_token(self._secret, purpose, report_id, self.recipient(report_id, address))


def _shown(language: str | None) -> str:
    """The query that makes the page behind a link speak `language`, if one is known."""
    return f"?lang={language}" if language else ""
