"""The staff sign-in round trip through the pages against an in-memory provider: a session
only for a checked answer, an error page in the site's frame for anything else."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_reports.app import build_app
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.staff.service import WorkService
from stadtmelder_reports.staff.sign_in.cookies import CookieSeal, Session
from stadtmelder_reports.staff.sign_in.pages import ATTEMPT_COOKIE, SESSION_COOKIE
from stadtmelder_reports.staff.sign_in.provider import OidcProvider, ProviderSettings
from stadtmelder_reports.staff.sign_in.service import SignIn
from stadtmelder_reports.web.rendering import WebSettings
from stadtmelder_shared.departments import load_directory
from tests.fakes import InMemoryAuditLog, InMemoryReportRepository, InMemoryStaffRoster
from tests.sign_in_fakes import CLIENT_ID, ISSUER, FakeProvider

BASE = "https://melder.example"
REPORT_PAGE = "/staff/reports/R-42"
DIRECTORY = load_directory()


@dataclass
class Site:
    client: AsyncTestClient[Litestar]
    provider: FakeProvider

    async def to_provider(self, path: str = REPORT_PAGE) -> str:
        """Opens a staff page signed out and follows the redirects up to the provider."""
        first = await self.client.get(path, follow_redirects=False)
        assert first.status_code == 303
        start = await self.client.get(first.headers["location"], follow_redirects=False)
        assert start.status_code == 303
        return start.headers["location"]

    async def answer(self, **query: str) -> httpx.Response:
        return await self.client.get("/staff/signed-in", params=query, follow_redirects=False)


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    provider = FakeProvider()
    settings = ProviderSettings(
        ISSUER, CLIENT_ID, f"{BASE}/staff/signed-in", f"{BASE}/staff/signed-out"
    )

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.sign_in = SignIn(DIRECTORY, OidcProvider(settings, provider.transport()))
        app.state.work = WorkService(
            InMemoryReportRepository(),
            InMemoryAuditLog(),
            InMemoryStaffRoster(),
            DIRECTORY,
            "duisburg",
        )
        yield

    app = build_app(lifespan, ApiSettings(BASE, 200_000), SubmissionLimiter(50))
    async with AsyncTestClient(app) as client:
        yield Site(client, provider)


def query_of(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def session_of(response: httpx.Response) -> str | None:
    cookies = [
        c for c in response.headers.get_list("set-cookie") if c.startswith(f"{SESSION_COOKIE}=")
    ]
    return cookies[0] if cookies and not cookies[0].startswith(f'{SESSION_COOKIE}="";') else None


async def test_a_deep_link_signs_in_with_pkce_and_returns_to_the_report(site: Site) -> None:
    address = await site.to_provider()
    asked = query_of(address)
    code = site.provider.authorize(address)

    back = await site.answer(code=code, state=asked["state"], iss=ISSUER)

    assert address.startswith(f"{ISSUER}/auth?")
    assert (asked["response_type"], asked["client_id"], asked["code_challenge_method"]) == (
        "code",
        CLIENT_ID,
        "S256",
    )
    assert asked["redirect_uri"] == f"{BASE}/staff/signed-in"
    assert back.status_code == 303
    assert back.headers["location"] == REPORT_PAGE
    session = session_of(back)
    assert session is not None
    assert all(flag in session.lower() for flag in ("httponly", "samesite=lax", "path=/staff"))
    # The PKCE verifier went to the token endpoint, never into the browser's address.
    assert site.provider.token_requests[0]["code_verifier"][0] not in address
    start = await site.client.get("/staff", follow_redirects=False)
    assert start.headers["location"] == "/staff/queue/stadt-licht"


async def test_an_expired_session_on_a_report_page_signs_in_again_and_returns_there(
    site: Site,
) -> None:
    web: WebSettings = site.client.app.state.web
    member = StaffMember("clerk-1", frozenset({"clerk"}), "stadt-licht")
    expired = datetime.now(UTC) - timedelta(minutes=1)
    cookie = CookieSeal(web.csrf_secret).seal_session(Session(member, expired, "oidc"))
    site.client.cookies.set(SESSION_COOKIE, cookie, path="/staff")

    page = await site.client.get(REPORT_PAGE, follow_redirects=False)

    assert page.status_code == 303
    assert page.headers["location"] == "/staff/sign-in?next=%2Fstaff%2Freports%2FR-42"


async def test_an_answer_with_a_wrong_state_gets_an_error_page_and_no_session(site: Site) -> None:
    address = await site.to_provider()
    code = site.provider.authorize(address)

    back = await site.answer(code=code, state="forged-state")

    assert back.status_code == 400
    assert back.headers["content-type"].startswith("text/html")
    assert "Die Anmeldung hat nicht geklappt" in back.text
    assert 'class="brand"' in back.text  # the site's frame
    assert session_of(back) is None
    assert site.provider.token_requests == []


async def test_an_answer_without_a_sign_in_begun_in_this_browser_gets_no_session(
    site: Site,
) -> None:
    address = await site.to_provider()
    code = site.provider.authorize(address)
    site.client.cookies.delete(ATTEMPT_COOKIE)

    back = await site.answer(code=code, state=query_of(address)["state"])

    assert back.status_code == 400
    assert session_of(back) is None


@pytest.mark.parametrize(
    "spoiled",
    [
        {"signing_key": rsa.generate_private_key(public_exponent=65537, key_size=2048)},
        {"token_overrides": {"aud": "another-client"}},
        {"token_overrides": {"iss": "https://login.other.example"}},
        {"token_overrides": {"nonce": "another-nonce"}},
        {"token_overrides": {"exp": 1_000_000_000}},
    ],
    ids=["foreign-signature", "audience", "issuer", "nonce", "expired"],
)
async def test_a_tampered_id_token_gets_an_error_page_and_no_session(
    site: Site, spoiled: dict[str, object]
) -> None:
    for name, value in spoiled.items():
        setattr(site.provider, name, value)
    address = await site.to_provider()
    code = site.provider.authorize(address)

    back = await site.answer(code=code, state=query_of(address)["state"])

    assert back.status_code == 401
    assert "ließ sich nicht prüfen" in back.text
    assert session_of(back) is None
    assert (
        (await site.client.get("/staff", follow_redirects=False))
        .headers["location"]
        .startswith("/staff/sign-in")
    )


async def test_an_account_without_a_staff_role_is_told_so_and_gets_no_session(site: Site) -> None:
    site.provider.claims = {"sub": "u-9", "roles": ["offline_access"]}
    address = await site.to_provider()
    code = site.provider.authorize(address)

    back = await site.answer(code=code, state=query_of(address)["state"], lang="en")

    assert back.status_code == 403
    assert "no access to the staff pages" in back.text
    assert session_of(back) is None


async def test_a_sign_in_cancelled_at_the_provider_shows_a_page_to_try_again(site: Site) -> None:
    address = await site.to_provider()

    back = await site.answer(error="access_denied", state=query_of(address)["state"])

    assert back.status_code == 401
    assert "abgebrochen" in back.text
    assert "/staff/sign-in?next=%2Fstaff%2Freports%2FR-42" in back.text


async def test_an_unreachable_provider_gets_a_page_not_a_500(site: Site) -> None:
    site.provider.down = True

    response = await site.client.get("/staff/sign-in", follow_redirects=False)

    assert response.status_code == 503
    assert "nicht erreichbar" in response.text


async def test_signing_out_ends_the_session_and_the_providers_too(site: Site) -> None:
    address = await site.to_provider("/staff")
    code = site.provider.authorize(address)
    await site.answer(code=code, state=query_of(address)["state"])
    form = await site.client.get("/staff/signed-out")
    csrf = form.cookies.get("stadtmelder_staff_csrf") or site.client.cookies.get(
        "stadtmelder_staff_csrf"
    )

    out = await site.client.post(
        "/staff/logout", data={"_csrf_token": csrf}, follow_redirects=False
    )

    assert out.status_code == 200
    assert f'http-equiv="refresh" content="0; url={ISSUER}/logout?client_id={CLIENT_ID}' in out.text
    assert session_of(out) is None
    assert (
        (await site.client.get("/staff", follow_redirects=False))
        .headers["location"]
        .startswith("/staff/sign-in")
    )


async def test_without_development_tokens_the_sign_in_page_shows_no_developer_text(
    site: Site,
) -> None:
    page = await site.client.get("/staff/login")
    pasted = await site.client.post("/staff/login", data={"token": "x"}, follow_redirects=False)

    assert "Mit dem Zugang der Stadt anmelden" in page.text
    assert "make token" not in page.text
    assert "textarea" not in page.text
    assert pasted.status_code in (403, 404)
