"""The city's OpenID Provider as the staff sign-in talks to it: discovery, the authorization
request, the code exchange with PKCE, the ID token's checks and RP-initiated logout.

Its documents are fetched with httpx when first needed and kept for an hour, so the service
starts (and serves citizens) while the provider is down; keys it does not know yet are
fetched again, as providers rotate them.
"""

import logging
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from stadtmelder_reports.staff.auth import CLOCK_SKEW_SECONDS, algorithms_for
from stadtmelder_reports.staff.sign_in.domain import LoginAttempt, SignInFailed

log = logging.getLogger(__name__)

DISCOVERY_PATH = "/.well-known/openid-configuration"
CACHE_SECONDS = 3600
TIMEOUT_SECONDS = 10.0


@dataclass(frozen=True)
class ProviderSettings:
    issuer: str
    client_id: str
    redirect_uri: str
    post_logout_redirect_uri: str
    scopes: str = "openid profile"
    client_secret: str | None = None


@dataclass(frozen=True)
class SignedIn:
    """What the provider vouches for: the ID token's claims (with userinfo's added)."""

    claims: dict[str, Any]


class OidcProvider:
    def __init__(
        self, settings: ProviderSettings, transport: httpx.AsyncBaseTransport | None = None
    ):
        self.settings = settings
        self._transport = transport
        self._metadata: tuple[float, dict[str, Any]] | None = None
        self._keys: jwt.PyJWKSet | None = None

    def _client(self) -> httpx.AsyncClient:
        # A client per sign-in: they are rare, and nothing stays open between them.
        return httpx.AsyncClient(timeout=TIMEOUT_SECONDS, transport=self._transport)

    async def _get_json(self, client: httpx.AsyncClient, url: str) -> dict[str, Any]:
        try:
            response = await client.get(url, headers={"accept": "application/json"})
            response.raise_for_status()
            found = response.json()
        except (httpx.HTTPError, ValueError) as error:
            log.warning("the identity provider did not answer %s: %s", url, error)
            raise SignInFailed("unavailable", str(error)) from None
        if not isinstance(found, dict):
            raise SignInFailed("unavailable", f"{url} did not answer a JSON object")
        return found

    async def metadata(self, client: httpx.AsyncClient) -> dict[str, Any]:
        if self._metadata and time.monotonic() - self._metadata[0] < CACHE_SECONDS:
            return self._metadata[1]
        url = self.settings.issuer.rstrip("/") + DISCOVERY_PATH
        found = await self._get_json(client, url)
        # OpenID Connect Discovery 4.3: the document must name exactly the issuer asked for.
        if found.get("issuer") != self.settings.issuer:
            log.error("discovery names issuer %r, configured %r", found.get("issuer"), url)
            raise SignInFailed("unavailable", "the discovery document names another issuer")
        self._metadata = (time.monotonic(), found)
        return found

    async def authorization_url(self, attempt: LoginAttempt) -> str:
        async with self._client() as client:
            endpoint = (await self.metadata(client))["authorization_endpoint"]
        query = {
            "response_type": "code",
            "client_id": self.settings.client_id,
            "redirect_uri": self.settings.redirect_uri,
            "scope": self.settings.scopes,
            "state": attempt.state,
            "nonce": attempt.nonce,
            "code_challenge": attempt.code_challenge,
            "code_challenge_method": "S256",
        }
        separator = "&" if "?" in endpoint else "?"
        return f"{endpoint}{separator}{urlencode(query)}"

    async def end_session_url(self) -> str | None:
        """Where to end the provider's own session too, if it offers RP-initiated logout."""
        async with self._client() as client:
            try:
                endpoint = (await self.metadata(client)).get("end_session_endpoint")
            except SignInFailed:
                return None
        if not isinstance(endpoint, str):
            return None
        query = {
            "client_id": self.settings.client_id,
            "post_logout_redirect_uri": self.settings.post_logout_redirect_uri,
        }
        return f"{endpoint}{'&' if '?' in endpoint else '?'}{urlencode(query)}"

    async def finish(self, code: str, attempt: LoginAttempt, issuer: str | None) -> SignedIn:
        """The code exchanged (with the PKCE verifier) and the ID token checked; userinfo's
        claims added when the ID token leaves them out (providers that conform strictly)."""
        async with self._client() as client:
            metadata = await self.metadata(client)
            # RFC 9207: a provider that names itself in the answer must name the one we asked.
            if issuer is not None and issuer != self.settings.issuer:
                raise SignInFailed("token", "the answer names another issuer")
            tokens = await self._exchange(client, metadata, code, attempt)
            id_token = tokens.get("id_token")
            if not isinstance(id_token, str):
                raise SignInFailed("token", "the provider sent no ID token")
            claims = await self._verified(client, metadata, id_token)
            attempt.check_nonce(claims)
            access_token = tokens.get("access_token")
            endpoint = metadata.get("userinfo_endpoint")
            if isinstance(access_token, str) and isinstance(endpoint, str):
                claims = {**await self._userinfo(client, endpoint, access_token, claims), **claims}
        return SignedIn(claims)

    async def _exchange(
        self, client: httpx.AsyncClient, metadata: dict[str, Any], code: str, attempt: LoginAttempt
    ) -> dict[str, Any]:
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": self.settings.redirect_uri,
            "code_verifier": attempt.code_verifier,
            "client_id": self.settings.client_id,
        }
        secret = self.settings.client_secret
        # A public client authenticates by PKCE alone; httpx's bare Auth sends no credentials.
        auth = httpx.BasicAuth(self.settings.client_id, secret) if secret else httpx.Auth()
        try:
            response = await client.post(metadata["token_endpoint"], data=form, auth=auth)
        except httpx.HTTPError as error:
            raise SignInFailed("unavailable", str(error)) from None
        if response.status_code >= 500:
            raise SignInFailed("unavailable", f"token endpoint answered {response.status_code}")
        try:
            tokens = response.json()
        except ValueError:
            tokens = None
        if response.status_code != 200 or not isinstance(tokens, dict):
            raise SignInFailed("token", f"token endpoint refused the code: {response.text[:200]}")
        return tokens

    async def _signing_key(
        self, client: httpx.AsyncClient, metadata: dict[str, Any], key_id: str | None
    ) -> jwt.PyJWK:
        for refresh in (False, True):
            if self._keys is None or refresh:
                try:
                    found = await self._get_json(client, metadata["jwks_uri"])
                    self._keys = jwt.PyJWKSet.from_dict(found)
                except jwt.PyJWTError as error:
                    raise SignInFailed("unavailable", f"unusable JWKS: {error}") from None
            keys = [k for k in self._keys.keys if key_id is None or k.key_id == key_id]
            if len(keys) == 1 or (keys and key_id is not None):
                return keys[0]
        raise SignInFailed("token", f"the ID token is signed with an unknown key {key_id!r}")

    async def _verified(
        self, client: httpx.AsyncClient, metadata: dict[str, Any], id_token: str
    ) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(id_token)
        except jwt.PyJWTError as error:
            raise SignInFailed("token", f"the ID token is no JWT: {error}") from None
        key = await self._signing_key(client, metadata, header.get("kid"))
        allowed = algorithms_for(key)
        if header.get("alg") not in allowed:
            raise SignInFailed(
                "token", f"the ID token's algorithm {header.get('alg')!r} is refused"
            )
        try:
            claims: dict[str, Any] = jwt.decode(
                id_token,
                key,
                algorithms=allowed,
                audience=self.settings.client_id,
                issuer=self.settings.issuer,
                leeway=CLOCK_SKEW_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "nonce"]},
            )
        except jwt.PyJWTError as error:
            raise SignInFailed("token", f"the ID token is not valid: {error}") from None
        # Core 3.1.3.7: with several audiences, the token must be issued to us (azp).
        audiences = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
        if len(audiences) > 1 and claims.get("azp") != self.settings.client_id:
            raise SignInFailed("token", "the ID token was issued to another client")
        return claims

    async def _userinfo(
        self, client: httpx.AsyncClient, endpoint: str, access_token: str, claims: dict[str, Any]
    ) -> dict[str, Any]:
        try:
            response = await client.get(
                endpoint, headers={"authorization": f"Bearer {access_token}"}
            )
            info = response.json() if response.status_code == 200 else {}
        except (httpx.HTTPError, ValueError):
            info = {}
        # Core 5.3.2: userinfo of another subject must not be used.
        if not isinstance(info, dict) or info.get("sub") != claims["sub"]:
            return {}
        return info
