"""Staff tokens: what passes the verifier, what is refused (401) and what grants no access (403)."""

import base64
import hashlib
import hmac
import json
import stat
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from stadtmelder_reports.errors import NotAllowed, NotAuthenticated, SignInUnavailable
from stadtmelder_reports.staff import token as token_tool
from stadtmelder_reports.staff.auth import (
    LOCAL_ISSUER,
    JwksKeys,
    LocalKeys,
    StaffMember,
    TokenVerifier,
    check_algorithm,
)
from stadtmelder_reports.staff.token import ensure_signing_key, issue_token
from stadtmelder_shared.departments import load_directory

DIRECTORY = load_directory()
AUDIENCE = "stadtmelder-staff"


@pytest.fixture
def key_file(tmp_path: Path) -> Path:
    return tmp_path / "var" / "staff-signing-key.pem"


def verifier_for(key_file: Path) -> TokenVerifier:
    return TokenVerifier(LocalKeys(key_file), LOCAL_ISSUER, AUDIENCE, DIRECTORY)


def hs256_token(payload: dict[str, Any], secret: bytes) -> str:
    """Built by hand: PyJWT itself refuses to use a public key as an HMAC secret."""

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()

    body = json.dumps(payload, default=lambda d: int(d.timestamp())).encode()
    header = json.dumps({"alg": "HS256", "typ": "JWT"}).encode()
    signing_input = f"{part(header)}.{part(body)}"
    signature = hmac.new(secret, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{part(signature)}"


def claims(**changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    base = {
        "sub": "anna",
        "roles": ["clerk"],
        "department": "wbd-strasse",
        "iss": LOCAL_ISSUER,
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + timedelta(hours=1),
    }
    return {k: v for k, v in {**base, **changes}.items() if v is not None}


async def test_a_token_of_the_local_key_names_the_staff_member(key_file: Path) -> None:
    key = ensure_signing_key(key_file)
    token = issue_token(key, "anna", ["clerk"], "wbd-strasse", AUDIENCE)

    member = await verifier_for(key_file).verify(token)

    assert member == StaffMember("anna", frozenset({"clerk"}), "wbd-strasse")
    assert member.actor().model_dump() == {
        "role": "clerk",
        "user_id": "anna",
        "department_id": "wbd-strasse",
    }


def test_the_signing_key_is_created_once_and_readable_only_by_its_owner(key_file: Path) -> None:
    first = ensure_signing_key(key_file)
    second = ensure_signing_key(key_file)

    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    pem = serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    assert first.public_key().public_bytes(*pem) == second.public_key().public_bytes(*pem)
    assert [p.name for p in key_file.parent.iterdir()] == [key_file.name]


@pytest.mark.parametrize(
    "changes",
    [
        {"aud": "another-app"},
        {"iss": "https://evil.example"},
        {"exp": datetime.now(UTC) - timedelta(minutes=5)},
        {"exp": None},
        {"sub": None},
        {"aud": None},
    ],
    ids=["audience", "issuer", "expired", "no-expiry", "no-subject", "no-audience"],
)
async def test_a_token_with_wrong_or_missing_claims_is_not_authenticated(
    key_file: Path, changes: dict[str, Any]
) -> None:
    key = ensure_signing_key(key_file)
    token = jwt.encode(claims(**changes), key, algorithm="ES256")  # type: ignore[arg-type]

    with pytest.raises(NotAuthenticated):
        await verifier_for(key_file).verify(token)


async def test_tokens_not_signed_by_our_key_are_not_authenticated(
    key_file: Path, tmp_path: Path
) -> None:
    key = ensure_signing_key(key_file)
    public_pem = key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    foreign = ensure_signing_key(tmp_path / "foreign.pem")
    unsigned = jwt.encode(claims(), "", algorithm="none")  # PyJWT takes "" as no key
    # The classic confusion: HS256 "signed" with the public key as the shared secret.
    confused = hs256_token(claims(), secret=public_pem)
    verifier = verifier_for(key_file)

    for token in (
        jwt.encode(claims(), foreign, algorithm="ES256"),  # type: ignore[arg-type]
        unsigned,
        confused,
        "a-tracking-token-not-a-jwt",
        "",
    ):
        with pytest.raises(NotAuthenticated):
            await verifier.verify(token)


async def test_no_key_set_up_yet_is_not_authenticated_with_a_hint(key_file: Path) -> None:
    with pytest.raises(NotAuthenticated, match="make token"):
        await verifier_for(key_file).verify("x.y.z")


async def test_a_replaced_key_file_is_read_again(key_file: Path) -> None:
    verifier = verifier_for(key_file)
    old = ensure_signing_key(key_file)
    await verifier.verify(issue_token(old, "anna", ["admin"], None, AUDIENCE))

    key_file.unlink()
    new = ensure_signing_key(key_file)

    assert (await verifier.verify(issue_token(new, "anna", ["admin"], None, AUDIENCE))).user_id
    with pytest.raises(NotAuthenticated):
        await verifier.verify(issue_token(old, "anna", ["admin"], None, AUDIENCE))


async def test_an_rsa_key_signs_with_rs256(key_file: Path) -> None:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    key_file.parent.mkdir(parents=True)
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    token = issue_token(ensure_signing_key(key_file), "dora", ["dispatcher"], None, AUDIENCE)

    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    assert (await verifier_for(key_file).verify(token)).role == "dispatcher"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"roles": []}, "no staff role"),
        ({"roles": ["citizen", "superuser"]}, "no staff role"),
        ({"roles": "admin"}, "no staff role"),
        ({"department": "atlantis"}, "atlantis"),
        ({"department": None}, "must name the clerk's department"),
    ],
)
async def test_a_valid_token_without_staff_rights_grants_nothing(
    key_file: Path, changes: dict[str, Any], reason: str
) -> None:
    key = ensure_signing_key(key_file)
    token = jwt.encode(claims(**changes), key, algorithm="ES256")  # type: ignore[arg-type]

    with pytest.raises(NotAllowed, match=reason):
        await verifier_for(key_file).verify(token)


async def test_the_strongest_role_is_the_one_recorded(key_file: Path) -> None:
    key = ensure_signing_key(key_file)
    token = issue_token(key, "dora", ["clerk", "dispatcher", "janitor"], "triage", AUDIENCE)

    member = await verifier_for(key_file).verify(token)

    assert member.roles == {"clerk", "dispatcher"}
    assert member.role == "dispatcher"


@pytest.fixture
def identity_provider() -> Iterator[tuple[str, ec.EllipticCurvePrivateKey]]:
    """A JWKS endpoint on localhost publishing one EC key as `k1`."""
    key = ec.generate_private_key(ec.SECP256R1())
    jwk = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "k1", "use": "sig", "alg": "ES256"}]}).encode()

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/certs", key
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


async def test_keys_come_from_the_identity_providers_jwks(
    identity_provider: tuple[str, ec.EllipticCurvePrivateKey],
) -> None:
    url, key = identity_provider
    issuer = "https://login.duisburg.example/realms/staff"
    verifier = TokenVerifier(JwksKeys(url), issuer, AUDIENCE, DIRECTORY)

    token = jwt.encode(claims(iss=issuer), key, algorithm="ES256", headers={"kid": "k1"})
    assert (await verifier.verify(token)).user_id == "anna"

    unknown_kid = jwt.encode(claims(iss=issuer), key, algorithm="ES256", headers={"kid": "k9"})
    with pytest.raises(NotAuthenticated):
        await verifier.verify(unknown_kid)
    local_issuer = jwt.encode(claims(), key, algorithm="ES256", headers={"kid": "k1"})
    with pytest.raises(NotAuthenticated):
        await verifier.verify(local_issuer)


async def test_an_unreachable_jwks_is_a_temporary_outage_not_a_bad_token() -> None:
    nobody_listens = "http://127.0.0.1:9/certs"
    verifier = TokenVerifier(JwksKeys(nobody_listens), "https://idp", AUDIENCE, DIRECTORY)
    key = ec.generate_private_key(ec.SECP256R1())
    token = jwt.encode(claims(), key, algorithm="ES256", headers={"kid": "k1"})

    with pytest.raises(SignInUnavailable):
        await verifier.verify(token)


def test_the_token_tool_prints_a_token_the_service_accepts(
    key_file: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REPORTS_STAFF_SIGNING_KEY_FILE", str(key_file))

    assert token_tool.main(["--role", "clerk", "--department", "wbd-gruen", "--sub", "cem"]) == 0
    token = capsys.readouterr().out.strip()
    decoded = jwt.decode(
        token,
        ensure_signing_key(key_file).public_key(),  # type: ignore[arg-type]
        algorithms=["ES256"],
        audience=AUDIENCE,
    )
    assert (decoded["sub"], decoded["roles"], decoded["department"]) == (
        "cem",
        ["clerk"],
        "wbd-gruen",
    )
    assert decoded["exp"] - decoded["iat"] == 12 * 3600

    assert token_tool.main(["--role", "clerk"]) == 2
    assert token_tool.main(["--role", "clerk", "--department", "atlantis"]) == 2
    assert "atlantis" in capsys.readouterr().err


def test_a_long_alg_in_a_token_is_echoed_cut_short() -> None:
    header = base64.urlsafe_b64encode(json.dumps({"alg": "A" * 10_000}).encode()).rstrip(b"=")
    token = f"{header.decode()}.e30.c2ln"

    with pytest.raises(NotAuthenticated) as refused:
        check_algorithm(token, ["ES256"])

    assert "'AAAA" in str(refused.value)
    assert len(str(refused.value)) < 300
