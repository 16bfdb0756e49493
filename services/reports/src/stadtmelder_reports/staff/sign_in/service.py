"""Staff sign-in's use cases: start a sign-in at the city's identity provider, finish it into a
session, or (in local development only) turn a pasted development token into one."""

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from stadtmelder_reports.errors import NotAllowed, NotAuthenticated, SignInUnavailable
from stadtmelder_reports.staff.auth import TokenVerifier
from stadtmelder_reports.staff.sign_in.cookies import Session
from stadtmelder_reports.staff.sign_in.domain import (
    ClaimMapping,
    LoginAttempt,
    SignInFailed,
    member_from_claims,
    safe_return_path,
    session_ends,
)
from stadtmelder_reports.staff.sign_in.provider import OidcProvider
from stadtmelder_shared.departments import Directory
from stadtmelder_shared.translations import N_

log = logging.getLogger(__name__)

DEFAULT_SESSION_HOURS = 8.0


def _utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class SignIn:
    """How this server signs staff in; without a provider and without development tokens
    nobody can sign in to the pages (the staff API's bearer tokens are checked apart)."""

    directory: Directory
    provider: OidcProvider | None = None
    mapping: ClaimMapping = field(default_factory=ClaimMapping)
    development_tokens: TokenVerifier | None = None
    session_hours: float = DEFAULT_SESSION_HOURS
    clock: Callable[[], datetime] = _utc_now

    @property
    def with_provider(self) -> bool:
        return self.provider is not None

    async def begin(self, return_to: str | None) -> tuple[LoginAttempt, str]:
        """A new attempt and the provider's address to send the browser to."""
        if self.provider is None:
            raise SignInFailed("not_configured", "no identity provider is configured")
        attempt = LoginAttempt(return_to=safe_return_path(return_to))
        return attempt, await self.provider.authorization_url(attempt)

    async def finish(self, attempt: LoginAttempt | None, answer: Mapping[str, str]) -> Session:
        """The session for the provider's answer to `attempt`; SignInFailed for anything
        that does not check out, so no session comes of it."""
        if self.provider is None:
            raise SignInFailed("not_configured", "no identity provider is configured")
        if attempt is None:
            raise SignInFailed("state", "no sign-in was started in this browser, or it expired")
        attempt.check_state(answer.get("state"))
        if answer.get("error"):
            raise SignInFailed("cancelled", str(answer.get("error_description") or answer["error"]))
        code = answer.get("code")
        if not code:
            raise SignInFailed("token", "the answer carries no code")
        signed_in = await self.provider.finish(code, attempt, answer.get("iss"))
        try:
            member = member_from_claims(signed_in.claims, self.mapping, self.directory)
        except NotAllowed as refused:
            log.info("sign-in of %s refused: %s", signed_in.claims.get("sub"), refused)
            raise SignInFailed("no_staff_role", str(refused)) from None
        now = self.clock()
        return Session(member, session_ends(now, self.session_hours), "oidc")

    async def from_development_token(self, token: str) -> Session:
        """NotAuthenticated or NotAllowed with the reason, to show beside the pasted token."""
        if self.development_tokens is None:
            raise NotAuthenticated(
                "Development tokens are switched off on this server.",
                N_("not_authenticated_development_off"),
            )
        try:
            member, expires = await self.development_tokens.verify_with_expiry(token)
        except SignInUnavailable as error:
            raise NotAuthenticated(str(error), N_("staff_sign_in_unavailable")) from None
        return Session(
            member, session_ends(self.clock(), self.session_hours, expires), "development-token"
        )
