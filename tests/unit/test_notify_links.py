"""The signed links in mails: notify makes them, the reports service checks them."""

import pytest
from pydantic import SecretStr, ValidationError

from stadtmelder_notify.links import MailLinks
from stadtmelder_notify.settings import NotifySettings
from stadtmelder_reports.citizen_links.domain import LinkInvalid, LinkTokens
from stadtmelder_shared.link_tokens import LinkPurpose

SECRET = b"unit-test-link-secret-of-32-bytes!"
REPORT = "ABCDE-12345"


def token_of(url: str) -> str:
    return url.split("?")[0].rsplit("/", 1)[1]


def test_a_link_made_by_notify_is_accepted_by_the_reports_service_for_its_purpose() -> None:
    links = MailLinks("https://melder.example", SECRET)

    unsubscribe = token_of(links.unsubscribe(REPORT, "Anna@Example.org"))
    feedback = token_of(links.feedback(REPORT, "anna@example.org", "de", "not_fixed"))

    checked = LinkTokens(SECRET).check(unsubscribe, LinkPurpose.PREFERENCES)
    assert checked.report_id == REPORT
    assert checked.recipient == links.recipient(REPORT, "anna@example.org")
    assert LinkTokens(SECRET).check(feedback, LinkPurpose.FEEDBACK) == checked
    assert token_of(links.language(REPORT, "anna@example.org", "tr")) == unsubscribe


@pytest.mark.parametrize(
    "forge",
    [
        lambda t: t.replace(REPORT, "ZZZZZ-99999"),  # another report
        lambda t: t[:20] + ("0" if t[20] != "0" else "1") + t[21:],  # another recipient
        lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"),  # another signature
        lambda t: t.rsplit(".", 1)[0],  # signature cut off
        lambda t: t[:-5],  # cut short
        lambda t: "",
        lambda t: "a.b.c",
    ],
)
def test_a_changed_or_cut_link_is_refused(forge: object) -> None:
    token = token_of(MailLinks("https://m.example", SECRET).unsubscribe(REPORT, "a@example.org"))
    with pytest.raises(LinkInvalid):
        LinkTokens(SECRET).check(forge(token), LinkPurpose.PREFERENCES)  # type: ignore[operator]


def test_a_link_is_refused_for_another_purpose_or_with_another_secret() -> None:
    links = MailLinks("https://m.example", SECRET)
    unsubscribe = token_of(links.unsubscribe(REPORT, "a@example.org"))
    feedback = token_of(links.feedback(REPORT, "a@example.org", "de"))

    with pytest.raises(LinkInvalid):
        LinkTokens(SECRET).check(unsubscribe, LinkPurpose.FEEDBACK)
    with pytest.raises(LinkInvalid):
        LinkTokens(SECRET).check(feedback, LinkPurpose.PREFERENCES)
    with pytest.raises(LinkInvalid):
        LinkTokens(b"another-secret-another-secret-!!").check(unsubscribe, LinkPurpose.PREFERENCES)


def test_links_never_carry_the_address() -> None:
    links = MailLinks("https://m.example", SECRET)
    for url in (
        links.unsubscribe(REPORT, "anna@example.org"),
        links.language(REPORT, "anna@example.org", "en"),
        links.feedback(REPORT, "anna@example.org", "en", "fixed"),
    ):
        assert "anna" not in url


def test_the_development_secret_is_refused_behind_a_public_address() -> None:
    assert NotifySettings(public_base_url="http://127.0.0.1:8000").link_secret
    with pytest.raises(ValidationError, match="NOTIFY_LINK_SECRET must be set"):
        NotifySettings(public_base_url="https://melder.duisburg.de")
    with pytest.raises(ValidationError, match="at least 32 characters"):
        NotifySettings(public_base_url="https://melder.duisburg.de", link_secret=SecretStr("short"))
    settings = NotifySettings(
        public_base_url="https://melder.duisburg.de", link_secret=SecretStr("x" * 32)
    )
    assert settings.link_secret.get_secret_value() == "x" * 32
