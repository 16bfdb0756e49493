"""What citizens receive: each trigger's mail in German, English and Turkish, as text and HTML."""

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from stadtmelder_notify.core.domain import (
    confirmation_mail,
    is_worth_a_mail,
    overdue_mail,
    routed_mail,
    status_mail,
)
from stadtmelder_notify.delivery.domain import Mail
from stadtmelder_notify.delivery.mailer import message_of
from stadtmelder_notify.links import MailLinks
from stadtmelder_shared.event_values import Actor, CategoryRef, DepartmentRef
from stadtmelder_shared.link_tokens import LinkPurpose, link_holder
from stadtmelder_shared.report_events import (
    ReportOverdue,
    ReportRouted,
    ReportStatusChanged,
    ReportSubmitted,
)

BASE = "https://melder.duisburg.example"
SECRET = b"unit-test-link-secret-of-32-bytes!"
LINKS = MailLinks(BASE, SECRET)
TO = "anna@example.org"
LIGHT = CategoryRef(
    code="street_light_out",
    names={"de": "Straßenlaterne defekt", "en": "Street light out", "tr": "Sokak lambası arızalı"},
)
LIGHTS = DepartmentRef(id="stadt-licht", name="Stadt Duisburg – Straßenbeleuchtung")
BERLIN = ZoneInfo("Europe/Berlin")


TOKEN = "tracking-token-123"


def submitted() -> ReportSubmitted:
    """As notify reads it: the reporter and token it opened are passed to the mail apart."""
    return ReportSubmitted(
        report_id="ABCDE-12345",
        jurisdiction="duisburg",
        category=LIGHT,
        description="Laterne dunkel",
        location=None,
        address="Königstraße 40",
        language="tr",
    )


def routed(due_at: datetime | None = datetime(2026, 11, 30, 23, 30, tzinfo=UTC)) -> ReportRouted:
    return ReportRouted(
        report_id="ABCDE-12345",
        jurisdiction="duisburg",
        category=LIGHT,
        department=LIGHTS,
        rule="category",
        caused_by="submitted-1",
        due_at=due_at,
    )


def changed(status: str, comment: str | None = None, role: str = "clerk") -> ReportStatusChanged:
    return ReportStatusChanged(
        report_id="ABCDE-12345",
        jurisdiction="duisburg",
        status=status,
        previous_status="in_progress",
        department=LIGHTS,
        actor=Actor(role=role),
        public_comment=comment,
    )


def all_citizen_mails(language: str) -> list[Mail]:
    mails = [
        confirmation_mail(submitted(), TO, language, LINKS, TOKEN),
        routed_mail(routed(), TO, language, LINKS, BERLIN),
    ]
    for status in ("acknowledged", "resolved", "rejected", "reopened"):
        mail = status_mail(changed(status, "Danke."), TO, language, LINKS)
        assert mail is not None
        mails.append(mail)
    return mails


@pytest.mark.parametrize("language", ["de", "en", "tr"])
def test_every_citizen_mail_has_text_html_in_its_language_and_an_unsubscribe_link(
    language: str,
) -> None:
    for mail in all_citizen_mails(language):
        assert mail.html is not None
        assert f'<html lang="{language}"' in mail.html
        assert mail.unsubscribe_url is not None
        assert mail.unsubscribe_url.startswith(f"{BASE}/api/v1/notifications/unsubscribe/")
        assert mail.unsubscribe_url in mail.text
        assert f'href="{mail.unsubscribe_url}"' in mail.html
        # Both parts carry the same message: every link of one is in the other.
        text_links = set(re.findall(r"https://\S+", mail.text))
        html_links = {
            link.replace("&amp;", "&") for link in re.findall(r'href="([^"]+)"', mail.html)
        }
        assert text_links == html_links


@pytest.mark.parametrize("language", ["de", "en", "tr"])
def test_every_citizen_mail_links_to_erasing_its_recipients_contact_data_in_its_language(
    language: str,
) -> None:
    for mail in all_citizen_mails(language):
        [erase] = re.findall(rf"{BASE}/api/v1/erasure/\S+", mail.text)
        token, _, query = erase.rsplit("/", 1)[1].partition("?")
        assert query == f"lang={language}"
        holder = link_holder(SECRET, LinkPurpose.ERASURE, token)
        assert holder is not None
        assert holder.recipient == LINKS.recipient(holder.report_id, TO)
        assert f'href="{erase}"' in (mail.html or "")


def test_html_is_self_contained_with_inline_styles_only() -> None:
    for mail in all_citizen_mails("de"):
        html = mail.html or ""
        assert "<style" not in html
        assert "<link" not in html
        assert "<img" not in html
        assert "<script" not in html
        assert "url(" not in html
        assert "<main" in html
        assert "<footer" in html
        assert "<title>" in html


def test_link_texts_say_where_they_lead() -> None:
    for mail in all_citizen_mails("en"):
        labels = re.findall(r"<a [^>]*>([^<]+)</a>", mail.html or "")
        assert labels
        for label in labels:
            assert label.lower() not in {"here", "click here", "link", "hier"}


def test_confirmation_names_the_report_number_and_the_private_tracking_link() -> None:
    mail = confirmation_mail(submitted(), TO, "tr", LINKS, TOKEN)

    assert mail.subject == "ABCDE-12345 numaralı bildiriminizi aldık"
    assert "Sokak lambası arızalı" in mail.text
    assert f"{BASE}/track/tracking-token-123?lang=tr" in mail.text
    assert "Lütfen bağlantıyı kimseyle paylaşmayın." in mail.text


def test_confirmation_without_a_token_links_the_public_report() -> None:
    mail = confirmation_mail(submitted(), TO, "en", LINKS)

    assert "/track/" not in mail.text
    assert f"{BASE}/reports/ABCDE-12345?lang=en" in mail.text


@pytest.mark.parametrize(
    ("language", "subject", "due"),
    [
        ("de", "Ihre Meldung ABCDE-12345 ist bei der zuständigen Stelle", "01.12.2026"),
        ("en", "Your report ABCDE-12345 has reached the responsible department", "1 December 2026"),
        ("tr", "ABCDE-12345 numaralı bildiriminiz sorumlu birime iletildi", "1 Aralık 2026"),
    ],
)
def test_routed_mail_names_department_and_the_expected_date_in_local_time(
    language: str, subject: str, due: str
) -> None:
    # 23:30 UTC on 30 November is already 1 December in Duisburg.
    mail = routed_mail(routed(), TO, language, LINKS, BERLIN)

    assert mail.subject == subject
    assert "Stadt Duisburg – Straßenbeleuchtung" in mail.text
    assert due in mail.text
    assert due in (mail.html or "")


def test_routed_mail_without_a_due_date_leaves_the_date_out() -> None:
    mail = routed_mail(routed(due_at=None), TO, "en", LINKS, BERLIN)
    assert "Expected to be done by" not in mail.text


def test_status_mail_quotes_the_public_comment_but_never_the_internal_reason() -> None:
    event = changed("rejected", "Das ist Privatgelände.").model_copy(
        update={"reason": "Anrufer war unfreundlich"}
    )
    mail = status_mail(event, TO, "de", LINKS)

    assert mail is not None
    assert "Das ist Privatgelände." in mail.text
    assert "unfreundlich" not in mail.text
    assert "unfreundlich" not in (mail.html or "")


@pytest.mark.parametrize(
    ("language", "question", "not_fixed"),
    [
        ("de", "Ist der Mangel wirklich behoben?", "Nein, er ist nicht behoben"),
        ("en", "Is the problem really fixed?", "No, it is not fixed"),
        ("tr", "Sorun gerçekten giderildi mi?", "Hayır, giderilmedi"),
    ],
)
def test_resolved_mail_asks_for_feedback_with_three_answers_and_a_form(
    language: str, question: str, not_fixed: str
) -> None:
    mail = status_mail(changed("resolved", "Leuchtmittel getauscht."), TO, language, LINKS)

    assert mail is not None
    assert question in mail.text
    answers = re.findall(rf"{BASE}/api/v1/feedback/(\S+)\?lang={language}&outcome=(\w+)", mail.text)
    assert [outcome for _, outcome in answers] == ["fixed", "partly", "not_fixed"]
    assert len({token for token, _ in answers}) == 1, "one token per recipient"
    assert f"{BASE}/api/v1/feedback/{answers[0][0]}?lang={language}\n" in mail.text
    assert f"{not_fixed}:\n{BASE}/api/v1/feedback/" in mail.text


def test_feedback_links_differ_per_recipient() -> None:
    event = changed("resolved")
    anna = status_mail(event, "anna@example.org", "de", LINKS)
    ben = status_mail(event, "ben@example.org", "de", LINKS)
    assert anna is not None
    assert ben is not None

    def tokens(mail: Mail) -> set[str]:
        return set(re.findall(r"/api/v1/feedback/([^?\s]+)", mail.text))

    assert tokens(anna).isdisjoint(tokens(ben))
    # Links carry a hash of report and address, never the address itself.
    assert "anna@example.org" not in anna.text
    assert "anna%40example.org" not in anna.text


def test_a_report_reopened_by_a_citizen_says_why() -> None:
    by_citizen = status_mail(changed("reopened", role="citizen"), TO, "en", LINKS)
    by_staff = status_mail(changed("reopened"), TO, "en", LINKS)

    assert by_citizen is not None
    assert by_staff is not None
    assert by_citizen.subject == "Your report ABCDE-12345 is open again"
    assert "not fixed yet" in by_citizen.text
    assert "not fixed yet" not in by_staff.text


def test_work_started_is_only_worth_a_mail_with_a_word_from_the_department() -> None:
    assert not is_worth_a_mail(changed("in_progress"))
    assert is_worth_a_mail(changed("in_progress", "Die Leuchte ist bestellt."))
    assert is_worth_a_mail(changed("acknowledged"))
    assert not is_worth_a_mail(changed("assigned"))


def test_footer_offers_the_other_languages_in_their_own_words() -> None:
    mail = confirmation_mail(submitted(), TO, "de", LINKS, TOKEN)

    assert "E-mails in English" in mail.text
    assert "Türkçe e-postalar" in mail.text
    assert "E-Mails auf Deutsch" not in mail.text
    assert 'lang="tr" hreflang="tr"' in (mail.html or "")
    assert "/api/v1/notifications/preferences/" in mail.text


OVERDUE = ReportOverdue(
    report_id="ABCDE-12345",
    jurisdiction="duisburg",
    department=LIGHTS,
    due_at=datetime(2026, 11, 26, 9, 0, tzinfo=UTC),
    escalated_to="lead@example.org",
)


def test_lead_escalation_is_internal_without_unsubscribe() -> None:
    mail = overdue_mail(OVERDUE, "lead@example.org", "https://staff.example/reports/ABCDE-12345")

    assert mail.unsubscribe_url is None
    assert mail.html is not None
    assert "https://staff.example/reports/ABCDE-12345" in mail.text


def test_lead_escalation_is_german_unless_another_language_is_asked_for() -> None:
    staff_url = "https://staff.example/reports/ABCDE-12345"

    german = overdue_mail(OVERDUE, "lead@example.org", staff_url)
    english = overdue_mail(OVERDUE, "lead@example.org", staff_url, "en")

    assert german.subject == f"Überfällig: Meldung ABCDE-12345 ({LIGHTS.name})"
    assert german.text.startswith(
        "Guten Tag,\n\ndie Meldung ABCDE-12345 hätte bis 26.11.2026 09:00 UTC erledigt sein "
        "sollen und ist noch offen.\n"
    )
    assert f"Meldung ABCDE-12345 bearbeiten:\n{staff_url}\n\nStadtmelder\n" in german.text
    assert english.subject == f"Overdue: report ABCDE-12345 ({LIGHTS.name})"
    assert "Report ABCDE-12345 should have been dealt with by 26/11/2026 09:00 UTC" in english.text
    assert "Meldung" not in english.text


def test_message_is_multipart_alternative_with_one_click_unsubscribe_headers() -> None:
    mail = confirmation_mail(submitted(), TO, "tr", LINKS, TOKEN)

    message: EmailMessage = message_of(mail, "Stadtmelder <noreply@example.org>", "tr")

    assert message.get_content_type() == "multipart/alternative"
    assert [part.get_content_type() for part in message.iter_parts()] == [
        "text/plain",
        "text/html",
    ]
    assert message["Content-Language"] == "tr"
    assert message["List-Unsubscribe"] == f"<{mail.unsubscribe_url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    plain = message.get_body(preferencelist=("plain",))
    assert plain is not None
    assert "ABCDE-12345" in plain.get_content()
