"""The signed mail links' tokens of shared/, which notify makes and the reports service checks."""

import hashlib

import pytest

from stadtmelder_shared.link_tokens import (
    LinkHolder,
    LinkPurpose,
    RecipientKeys,
    link_holder,
    link_token,
)
from tests.fakes import recipient_key

SECRET = b"unit-test-link-secret-of-32-bytes!"
REPORT = "ABCDE-12345"


def test_a_token_names_its_report_and_recipient_and_is_accepted_for_its_purpose() -> None:
    key = recipient_key(REPORT, "Anna@Example.org")

    token = link_token(SECRET, LinkPurpose.FEEDBACK, REPORT, key)

    assert token.startswith(f"{REPORT}.{key}.")
    assert link_holder(SECRET, LinkPurpose.FEEDBACK, token) == LinkHolder(REPORT, key)


def test_the_recipient_key_ignores_the_case_of_the_address_and_hides_it() -> None:
    key = recipient_key(REPORT, "Anna@Example.org")

    assert key == recipient_key(REPORT, "anna@example.org")
    assert key != recipient_key("ZZZZZ-99999", "anna@example.org")
    assert "anna" not in key
    assert len(key) == 64


def test_the_recipient_key_cannot_be_recomputed_from_address_and_report_without_the_secret() -> (
    None
):
    keys = RecipientKeys.under(SECRET)
    key = keys.of(REPORT, "anna@example.org")

    # What anyone could compute who knows the address and the public report id.
    assert key != hashlib.sha256(f"{REPORT}|anna@example.org".encode()).hexdigest()
    assert key != hashlib.sha256(b"anna@example.org").hexdigest()
    assert key != RecipientKeys.under(b"another-secret-another-secret-!!").of(
        REPORT, "anna@example.org"
    )
    # Nor is it the link's mac key: a key holder could not sign links with it.
    assert keys.key != SECRET
    assert "secret" not in repr(keys)


def test_a_token_is_refused_for_the_other_purpose_or_under_another_secret() -> None:
    token = link_token(SECRET, LinkPurpose.PREFERENCES, REPORT, recipient_key(REPORT, "a@b.de"))

    assert link_holder(SECRET, LinkPurpose.FEEDBACK, token) is None
    assert link_holder(b"another-secret-another-secret-!!", LinkPurpose.PREFERENCES, token) is None


@pytest.mark.parametrize("token", ["", "a.b.c", f"{REPORT}..", f".{'0' * 64}.mac"])
def test_a_malformed_token_is_refused(token: str) -> None:
    assert link_holder(SECRET, LinkPurpose.PREFERENCES, token) is None
