"""Staff sign-in's pieces: PKCE, state and nonce, where a sign-in may return to, how claims
become a staff member, and how long the signed session lasts."""

from datetime import UTC, datetime, timedelta

import pytest

from stadtmelder_reports.errors import NotAllowed
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.staff.sign_in import domain
from stadtmelder_reports.staff.sign_in.cookies import CookieSeal, Session
from stadtmelder_shared.departments import load_directory

DIRECTORY = load_directory()
NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)


def test_the_pkce_challenge_is_rfc_7636s_s256_of_the_verifier() -> None:
    # RFC 7636, Appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    assert domain.code_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_every_sign_in_gets_its_own_unguessable_state_nonce_and_verifier() -> None:
    first, second = domain.LoginAttempt(), domain.LoginAttempt()

    assert len({first.state, first.nonce, first.code_verifier, second.state}) == 4
    # RFC 7636 4.1: 43 to 128 characters.
    assert 43 <= len(first.code_verifier) <= 128


@pytest.mark.parametrize("returned", [None, "", "another-state"])
def test_an_answer_with_another_state_is_refused(returned: str | None) -> None:
    with pytest.raises(domain.SignInFailed) as failed:
        domain.LoginAttempt().check_state(returned)

    assert failed.value.reason == "state"


def test_an_id_token_with_another_nonce_is_refused() -> None:
    attempt = domain.LoginAttempt()
    attempt.check_nonce({"nonce": attempt.nonce})

    with pytest.raises(domain.SignInFailed) as failed:
        attempt.check_nonce({"nonce": domain.LoginAttempt().nonce})

    assert failed.value.reason == "token"


@pytest.mark.parametrize(
    ("asked", "goes_to"),
    [
        ("/staff/reports/R-1", "/staff/reports/R-1"),
        ("/staff/queue/stadt-licht?overdue=true", "/staff/queue/stadt-licht?overdue=true"),
        (None, "/staff"),
        ("https://evil.example/staff/x", "/staff"),
        ("//evil.example/staff/x", "/staff"),
        ("/\\evil.example", "/staff"),
        ("/staff/\\\\evil.example", "/staff"),
        ("/track/abc", "/staff"),
        ("javascript:alert(1)", "/staff"),
        ("/staff/x\r\nSet-Cookie: a=b", "/staff"),
        ("/staff/" + "x" * 400, "/staff"),
    ],
)
def test_a_sign_in_returns_only_to_a_staff_page_of_this_site(
    asked: str | None, goes_to: str
) -> None:
    assert domain.safe_return_path(asked) == goes_to


def test_the_default_claims_name_roles_and_department() -> None:
    claims = {
        "sub": "u-1",
        "name": "Lena Licht",
        "roles": ["clerk", "offline_access"],
        "department": "stadt-licht",
    }

    member = domain.member_from_claims(claims, domain.ClaimMapping(), DIRECTORY)

    assert member == StaffMember("u-1", frozenset({"clerk"}), "stadt-licht", name="Lena Licht")


def test_entra_id_app_roles_and_a_keycloak_group_path_map_to_staff_roles() -> None:
    mapping = domain.ClaimMapping(
        roles_claim="realm_access.roles",
        department_claim="groups",
        role_values={"Stadtmelder.Dispatcher": "dispatcher"},
        department_values={"/wbd/strasse": "wbd-strasse"},
    )
    claims = {
        "sub": "u-2",
        "realm_access": {"roles": ["default-roles-duisburg", "Stadtmelder.Dispatcher"]},
        "groups": ["/alle", "/wbd/strasse"],
    }

    member = domain.member_from_claims(claims, mapping, DIRECTORY)

    assert (member.roles, member.department_id) == (frozenset({"dispatcher"}), "wbd-strasse")


@pytest.mark.parametrize(
    "claims",
    [
        {"sub": "u-3", "roles": ["offline_access"]},
        {"sub": "u-3"},
        {"sub": "u-3", "roles": ["clerk"]},
        {"sub": "u-3", "roles": ["clerk"], "department": "no-such-department"},
    ],
)
def test_an_account_without_a_staff_role_or_known_department_gets_no_session(
    claims: dict[str, object],
) -> None:
    with pytest.raises(NotAllowed):
        domain.member_from_claims(claims, domain.ClaimMapping(), DIRECTORY)


def test_a_session_lasts_the_configured_hours_but_not_beyond_a_pasted_tokens_end() -> None:
    assert domain.session_ends(NOW, 8) == NOW + timedelta(hours=8)
    assert domain.session_ends(NOW, 8, NOW + timedelta(hours=1)) == NOW + timedelta(hours=1)


def test_the_session_cookie_holds_the_member_until_it_expires() -> None:
    seal = CookieSeal("a-secret-of-this-server-long-enough")
    member = StaffMember("u-1", frozenset({"clerk"}), "stadt-licht", name="Lena")
    future = datetime.now(UTC) + timedelta(hours=8)

    opened = seal.open_session(seal.seal_session(Session(member, future, "oidc")))
    expired = seal.open_session(
        seal.seal_session(Session(member, datetime.now(UTC) - timedelta(seconds=1), "oidc"))
    )

    assert opened is not None
    assert (opened.member, opened.via) == (member, "oidc")
    assert expired is None


def test_a_forged_or_foreign_cookie_opens_no_session() -> None:
    seal = CookieSeal("a-secret-of-this-server-long-enough")
    other = CookieSeal("the-secret-of-another-deployment-xx")
    member = StaffMember("u-1", frozenset({"admin"}))
    future = datetime.now(UTC) + timedelta(hours=1)
    sealed = other.seal_session(Session(member, future, "oidc"))
    attempt = seal.seal_attempt(domain.LoginAttempt(), NOW)

    assert seal.open_session(sealed) is None
    assert seal.open_session(attempt) is None
    assert seal.open_session("not-a-cookie") is None


def test_a_sign_in_attempt_survives_the_round_trip_for_fifteen_minutes_only() -> None:
    seal = CookieSeal("a-secret-of-this-server-long-enough")
    attempt = domain.LoginAttempt(return_to="/staff/reports/R-1")
    now = datetime.now(UTC)

    assert seal.open_attempt(seal.seal_attempt(attempt, now)) == attempt
    assert seal.open_attempt(seal.seal_attempt(attempt, now - timedelta(minutes=16))) is None
