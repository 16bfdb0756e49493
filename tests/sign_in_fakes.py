"""An OpenID Provider in memory for the sign-in's unit tests: discovery, JWKS and a token
endpoint over httpx's MockTransport, signing real RS256 ID tokens that a test may spoil.

The end-to-end tests use the real provider of deploy/local/oidc/ instead."""

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

from stadtmelder_reports.staff.sign_in.domain import code_challenge

ISSUER = "https://login.stadt.example/realms/duisburg"
CLIENT_ID = "stadtmelder"


def _rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@dataclass
class FakeProvider:
    """Hands out one code per authorization; `claims` go into the ID token, `spoil` changes
    the token after signing (or `signing_key` signs with a key the JWKS does not hold)."""

    claims: dict[str, Any] = field(
        default_factory=lambda: {
            "sub": "u-1",
            "name": "Lena Licht",
            "roles": ["clerk"],
            "department": "stadt-licht",
        }
    )
    key: rsa.RSAPrivateKey = field(default_factory=_rsa_key)
    signing_key: rsa.RSAPrivateKey | None = None
    token_overrides: dict[str, Any] = field(default_factory=dict)
    # code -> (code_challenge, nonce) of the authorization it was issued for
    codes: dict[str, tuple[str, str]] = field(default_factory=dict)
    token_requests: list[dict[str, list[str]]] = field(default_factory=list)
    down: bool = False

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def authorize(self, authorization_url: str) -> str:
        """What the provider does after a person signed in: a code for that request."""
        query = parse_qs(httpx.URL(authorization_url).query.decode())
        assert query["code_challenge_method"] == ["S256"]
        code = f"code-{len(self.codes)}"
        self.codes[code] = (query["code_challenge"][0], query["nonce"][0])
        return code

    def id_token(self, nonce: str) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": ISSUER,
            "aud": CLIENT_ID,
            "iat": now,
            "exp": now + timedelta(minutes=5),
            "nonce": nonce,
            **self.claims,
            **self.token_overrides,
        }
        key = self.signing_key or self.key
        return jwt.encode(claims, key, algorithm="RS256", headers={"kid": "k1"})

    def handle(self, request: httpx.Request) -> httpx.Response:
        if self.down:
            return httpx.Response(502)
        path = request.url.path.removeprefix("/realms/duisburg")
        if path == "/.well-known/openid-configuration":
            return httpx.Response(200, json=self.metadata())
        if path == "/jwks":
            jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.key.public_key()))
            return httpx.Response(200, json={"keys": [{**jwk, "kid": "k1", "use": "sig"}]})
        if path == "/token":
            return self.token(parse_qs(request.content.decode()))
        return httpx.Response(404)

    def token(self, form: dict[str, list[str]]) -> httpx.Response:
        self.token_requests.append(form)
        issued = self.codes.pop(form["code"][0], None)
        if issued is None or code_challenge(form["code_verifier"][0]) != issued[0]:
            return httpx.Response(400, json={"error": "invalid_grant"})
        return httpx.Response(
            200, json={"id_token": self.id_token(issued[1]), "token_type": "Bearer"}
        )

    @staticmethod
    def metadata() -> dict[str, Any]:
        return {
            "issuer": ISSUER,
            "authorization_endpoint": f"{ISSUER}/auth",
            "token_endpoint": f"{ISSUER}/token",
            "jwks_uri": f"{ISSUER}/jwks",
            "end_session_endpoint": f"{ISSUER}/logout",
        }
