"""The stores of the notification loop, each adapter against its in-memory fake (same contract),
and mail in both formats through the real SMTP sink."""

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from pymongo.asynchronous.collection import AsyncCollection

from stadtmelder_notify.core.domain import confirmation_mail
from stadtmelder_notify.core.store import Choices, MongoFollowerStore
from stadtmelder_notify.delivery.domain import PendingMail, address_key
from stadtmelder_notify.delivery.mailer import SmtpMailer
from stadtmelder_notify.delivery.repository import Claim, MongoDeliveryLog
from stadtmelder_notify.delivery.sent_journal import SentJournal
from stadtmelder_notify.links import MailLinks
from stadtmelder_reports.citizen_links.domain import FeedbackAnswer, answer_feedback
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Notice, StatusChange, Submission
from stadtmelder_reports.core.mongo_repository import MongoReportRepository
from stadtmelder_reports.core.submission import submit
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import CitizenNotified, NotificationPreferencesChanged
from stadtmelder_shared.event_values import CategoryRef, DepartmentRef, Location, Reporter
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS
from stadtmelder_shared.report_events import ReportSubmitted
from stadtmelder_shared.sealing import new_data_key
from tests.conftest import LocalSystem
from tests.data_key_fakes import SealingKit
from tests.fakes import (
    InMemoryDeliveryLog,
    InMemoryFollowerStore,
    InMemoryReportRepository,
    recipient_key,
)
from tests.system import wait_until

# Seals contact fields the way reports does; the service opens them with its keys.
KIT = SealingKit()

pytestmark = pytest.mark.integration

NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)
DUISBURG = load_jurisdiction()
LINKS = MailLinks("https://melder.example", b"integration-link-secret-32-bytes!!")


def submitted(report_id: str = "ABCDE-12345") -> ReportSubmitted:
    return ReportSubmitted(
        report_id=report_id,
        jurisdiction="duisburg",
        category=CategoryRef(code="graffiti", names={"de": "Graffiti"}),
        description="Graffiti",
        location=None,
        address="Königstraße 1",
        # Arrays in answers: stored as JSON text, which FerretDB 1.x takes as it is.
        answers={"surfaces": ["wall", "door"]},
        reporter=KIT.reporter(report_id, Reporter(email="anna@example.org")),
    )


# --- the delivery log -----------------------------------------------------------------------


@pytest.fixture
def deliveries(database: Any) -> Any:
    return InMemoryDeliveryLog() if database is None else MongoDeliveryLog(database)


async def test_failures_are_counted_and_an_abandoned_message_stays_abandoned(
    deliveries: Any,
) -> None:
    lease = NOW + timedelta(seconds=15)
    assert await deliveries.claim("k1", NOW, lease) is Claim.CLAIMED
    assert await deliveries.mark_failed("k1", "SMTPServerDisconnected", NOW) == 1
    assert await deliveries.claim("k1", NOW, lease) is Claim.CLAIMED
    assert await deliveries.mark_failed("k1", "SMTPServerDisconnected", NOW) == 2

    await deliveries.mark_abandoned("k1", "SMTPServerDisconnected", NOW)
    assert await deliveries.claim("k1", NOW + timedelta(hours=1), lease) is Claim.ABANDONED


async def test_a_message_another_sender_holds_is_claimed_only_once_its_lease_ran_out(
    deliveries: Any,
) -> None:
    lease = NOW + timedelta(seconds=15)
    assert await deliveries.claim("k1", NOW, lease) is Claim.CLAIMED

    assert await deliveries.claim("k1", NOW + timedelta(seconds=5), lease) is Claim.HELD_ELSEWHERE
    assert await deliveries.claim("k1", lease, lease + timedelta(seconds=15)) is Claim.CLAIMED
    assert await deliveries.claim("k1", lease, lease) is Claim.HELD_ELSEWHERE


async def test_a_message_sent_while_the_database_was_away_is_not_sent_again(
    real_database: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    journal = SentJournal(tmp_path)
    journal.open()
    deliveries = MongoDeliveryLog(real_database, journal=journal)
    assert await deliveries.claim("k1", NOW, NOW + timedelta(seconds=15)) is Claim.CLAIMED
    await deliveries.mark_sent("k1", NOW, recipient="anna-key")

    # The server accepted the mail; the database went away before it heard of it.
    async def database_away(*args: object, **kwargs: object) -> None:
        raise ConnectionError("FerretDB is restarting")

    with monkeypatch.context() as away:
        away.setattr(AsyncCollection, "bulk_write", database_away)
        with pytest.raises(ConnectionError):
            await deliveries.flush()

    # The event comes again, long after the lease: recorded, not sent again.
    later = NOW + timedelta(minutes=5)
    assert await deliveries.claim("k1", later, later + timedelta(seconds=15)) is Claim.ALREADY_SENT
    assert await deliveries.claim("k1", later, later) is Claim.ALREADY_SENT
    assert await deliveries.sent_since("anna-key", NOW - timedelta(hours=1)) == [NOW]
    journal.close()


async def test_a_replica_taking_over_a_killed_ones_lease_does_not_send_what_it_sent(
    real_database: Any, tmp_path: Path
) -> None:
    killed, survivor = SentJournal(tmp_path), SentJournal(tmp_path)
    killed.open()
    survivor.open()
    sending = MongoDeliveryLog(real_database, journal=killed)
    taking_over = MongoDeliveryLog(real_database, journal=survivor)
    key = f"k-{uuid.uuid4().hex[:8]}"
    assert await sending.claim(key, NOW, NOW + timedelta(seconds=15)) is Claim.CLAIMED
    # The server accepted the mail; kill -9 came before the database heard of it.
    sending.note_accepted(key, NOW, "anna-key")
    killed.close()

    # The partition moved to the survivor; the event comes again after the lease ran out.
    later = NOW + timedelta(seconds=20)
    assert await taking_over.claim(key, later, later + timedelta(seconds=15)) is Claim.ALREADY_SENT
    survivor.close()


async def test_sent_is_written_behind_and_known_in_the_database_after_the_flush(
    real_database: Any, tmp_path: Path
) -> None:
    journal = SentJournal(tmp_path)
    journal.open()
    here = MongoDeliveryLog(real_database, journal=journal)
    elsewhere = MongoDeliveryLog(real_database)
    for key in ("k1", "k2"):
        assert await here.claim(key, NOW, NOW + timedelta(seconds=15)) is Claim.CLAIMED
        await here.mark_sent(key, NOW, recipient="anna-key")

    # Not written yet: here the journal knows, elsewhere the lease still holds it.
    soon = NOW + timedelta(seconds=1)
    assert await here.claim("k1", soon, soon + timedelta(seconds=15)) is Claim.ALREADY_SENT
    assert await elsewhere.claim("k2", soon, soon) is Claim.HELD_ELSEWHERE

    await here.flush()

    later = NOW + timedelta(minutes=5)
    for key in ("k1", "k2"):
        assert await elsewhere.claim(key, later, later) is Claim.ALREADY_SENT
    assert (tmp_path / "sent-0.jsonl").read_text() == ""  # the journal need not remember them
    journal.close()


async def test_sent_mails_count_for_their_recipient_only(deliveries: Any) -> None:
    for key, minutes in (("a1", 0), ("a2", 30), ("a3", 90)):
        at = NOW + timedelta(minutes=minutes)
        await deliveries.claim(key, at, at + timedelta(seconds=15))
        await deliveries.mark_sent(key, at, recipient="anna")
    await deliveries.claim("b1", NOW, NOW + timedelta(seconds=15))
    await deliveries.mark_sent("b1", NOW, recipient="ben")

    since = NOW + timedelta(minutes=20)
    assert sorted(await deliveries.sent_since("anna", since)) == [
        NOW + timedelta(minutes=30),
        NOW + timedelta(minutes=90),
    ]
    assert await deliveries.sent_since("cem", NOW) == []


async def test_a_mail_marked_sent_twice_counts_once_against_the_rate_limit(
    deliveries: Any,
) -> None:
    await deliveries.claim("a1", NOW, NOW + timedelta(seconds=15))
    await deliveries.mark_sent("a1", NOW, recipient="anna")
    await deliveries.mark_sent("a1", NOW, recipient="anna")  # a retry after a lost answer

    assert await deliveries.sent_since("anna", NOW - timedelta(hours=1)) == [NOW]


async def test_send_times_reach_another_process_at_the_next_flush(real_database: Any) -> None:
    here = MongoDeliveryLog(real_database)
    await here.claim("d1", NOW, NOW + timedelta(seconds=15))
    await here.mark_sent("d1", NOW, recipient="dora")

    assert await here.sent_since("dora", NOW) == [NOW]
    await here.flush_send_times()
    assert await MongoDeliveryLog(real_database).sent_since("dora", NOW) == [NOW]


async def test_a_deferred_message_waits_until_due_and_is_taken_once(deliveries: Any) -> None:
    event = submitted()
    pending = PendingMail(
        key="k-def",
        mail=confirmation_mail(event, "anna@example.org", "de", LINKS),
        language="de",
        recipient=address_key("anna@example.org"),
        follower=recipient_key(event.report_id, "anna@example.org"),
        topic=topics.REPORTS_SUBMITTED,
        cause=event,
        notified=CitizenNotified(
            report_id=event.report_id,
            jurisdiction="duisburg",
            channel="email",
            notification="submitted",
            caused_by=event.event_id,
        ),
    )
    await deliveries.claim("k-def", NOW, NOW + timedelta(seconds=15))

    due = NOW + timedelta(minutes=30)
    await deliveries.defer(pending, due)

    assert await deliveries.claim("k-def", NOW + timedelta(hours=2), NOW) is Claim.DEFERRED
    assert await deliveries.due_deferred(NOW, 10) == []
    assert await deliveries.take_deferred("k-def", NOW, NOW + timedelta(seconds=15)) is None
    assert await deliveries.due_deferred(due, 10) == ["k-def"]
    taken = await deliveries.take_deferred("k-def", due, due + timedelta(seconds=15))
    assert taken == pending
    assert await deliveries.take_deferred("k-def", due, due + timedelta(seconds=15)) is None

    await deliveries.mark_sent("k-def", due, recipient=pending.recipient)
    assert await deliveries.due_deferred(due + timedelta(days=1), 10) == []
    assert await deliveries.claim("k-def", due, due) is Claim.ALREADY_SENT


# --- followers and their choices ------------------------------------------------------------


@pytest.fixture
def followers(database: Any) -> Any:
    return (
        InMemoryFollowerStore()
        if database is None
        else MongoFollowerStore(database, DEVELOPMENT_RECIPIENT_KEYS)
    )


async def test_an_opt_out_and_a_language_apply_to_one_follower_of_one_report(
    followers: Any,
) -> None:
    await followers.add("R1", Reporter(email="anna@example.org", language="de"))
    await followers.add("R1", Reporter(email="ben@example.org", language="de"))
    await followers.add("R2", Reporter(email="anna@example.org", language="de"))

    anna = recipient_key("R1", "anna@example.org")
    assert await followers.set_preferences("R1", anna, Choices(language="tr")) is True
    assert [(f.email, f.language) for f in await followers.of("R1")] == [
        ("anna@example.org", "tr"),
        ("ben@example.org", "de"),
    ]
    assert await followers.set_preferences("R1", anna, Choices(opted_out=True)) is True
    assert [f.email for f in await followers.of("R1")] == ["ben@example.org"]
    assert [f.email for f in await followers.of("R2")] == ["anna@example.org"]

    assert await followers.set_preferences("R1", anna, Choices(opted_out=False)) is True
    assert len(await followers.of("R1")) == 2
    # A key of another report, or of nobody, changes nothing.
    assert await followers.set_preferences("R2", anna, Choices(opted_out=True)) is False
    assert await followers.set_preferences("R1", "0" * 64, Choices(opted_out=True)) is False
    # Nor does a forged key that is no hash at all.
    forged = f"{anna}.opted_out"
    assert await followers.set_preferences("R1", forged, Choices(opted_out=True)) is False
    assert await followers.set_preferences("R1", "$set", Choices(language="tr")) is False
    assert len(await followers.of("R1")) == 2


async def test_a_follower_added_again_keeps_their_choices_and_place(followers: Any) -> None:
    await followers.add("R1", Reporter(email="anna@example.org", language="de"))
    await followers.add("R1", Reporter(email="ben@example.org", language="tr"))
    await followers.set_preferences(
        "R1", recipient_key("R1", "anna@example.org"), Choices(language="en")
    )

    # A redelivered submission, or the reporter supporting their own report.
    await followers.add("R1", Reporter(email="anna@example.org", language="de"))

    assert [(f.email, f.language) for f in await followers.of("R1")] == [
        ("anna@example.org", "en"),
        ("ben@example.org", "tr"),
    ]
    assert await followers.of("R-unknown") == []


async def test_a_redelivered_submission_keeps_its_reporter_first_with_their_choices(
    followers: Any,
) -> None:
    anna = Reporter(email="anna@example.org", language="de")
    made = await followers.add("R1", anna, first=True)
    assert [f.email for f in made.wanting_mail] == ["anna@example.org"]
    await followers.add("R1", Reporter(email="ben@example.org", language="tr"))
    await followers.set_preferences(
        "R1", recipient_key("R1", "anna@example.org"), Choices(language="en")
    )

    # The submission comes again: the report's followers are found, not started anew.
    again = await followers.add("R1", anna, first=True)

    expected = [("anna@example.org", "en"), ("ben@example.org", "tr")]
    assert [(f.email, f.language) for f in again.wanting_mail] == expected
    assert [(f.email, f.language) for f in await followers.of("R1")] == expected


async def test_a_confirmation_counts_for_one_reporter_of_one_report(followers: Any) -> None:
    await followers.add("R1", Reporter(email="anna@example.org", language="de"))
    await followers.add("R1", Reporter(email="ben@example.org", language="de"))
    assert await followers.is_confirmed("R1", "anna@example.org") is False

    await followers.mark_confirmed("R1", "anna@example.org")

    assert await followers.is_confirmed("R1", "anna@example.org") is True
    assert await followers.is_confirmed("R1", "ben@example.org") is False
    assert await followers.is_confirmed("R2", "anna@example.org") is False


# --- the report's side ----------------------------------------------------------------------


@pytest.fixture
def reports(database: Any) -> Any:
    return InMemoryReportRepository() if database is None else MongoReportRepository(database)


async def a_resolved_report(reports: Any) -> Any:
    report = submit(
        Submission(
            "road_damage",
            "Schlagloch",
            Location(lat=51.43, lon=6.76),
            answers={"acute_danger": "no", "size": "large"},
            contact=Reporter(email="anna@example.org"),
        ),
        DUISBURG,
        (),
        NOW,
        f"R{uuid.uuid4().hex[:9].upper()}",
        "token",
        new_data_key(),
    ).report
    await reports.add(report)
    department = DepartmentRef(id="wbd-strasse", name="Straßen")
    routed = StatusChange("routed", NOW, str(uuid.uuid4()), department=department)
    await reports.record_status(report.id, routed)
    await reports.record_status(report.id, StatusChange("resolved", NOW, str(uuid.uuid4())))
    return await reports.get(report.id)


async def test_feedback_is_stored_with_its_event_only_on_the_revision_read(reports: Any) -> None:
    report = await a_resolved_report(reports)
    step = answer_feedback(report, "k" * 64, FeedbackAnswer("partly", 3, "Nur halb."), NOW)

    assert await reports.record_feedback(report.id, report.revision - 1, step) is False
    assert await reports.record_feedback(report.id, report.revision, step) is True

    loaded = await reports.get(report.id)
    assert [(f.outcome, f.rating) for f in loaded.feedback] == [("partly", 3)]
    assert [(c.visibility, c.text) for c in loaded.comments] == [("internal", "Nur halb.")]
    assert [type(e).__name__ for _, e in loaded.pending_events][-1] == "FeedbackReceived"
    assert loaded.revision == report.revision + 1


async def test_a_notice_is_kept_once(reports: Any) -> None:
    report = await a_resolved_report(reports)
    notice = Notice(str(uuid.uuid4()), "routed", "email", NOW)

    assert await reports.record_notice(report.id, notice) is True
    assert await reports.record_notice(report.id, notice) is False

    assert (await reports.get(report.id)).notices == [notice]


async def test_an_event_queued_for_a_report_waits_in_its_outbox(reports: Any) -> None:
    report = await a_resolved_report(reports)
    await reports.mark_published(report.id, [e.event_id for _, e in report.pending_events])
    event = NotificationPreferencesChanged(
        report_id=report.id, jurisdiction="duisburg", recipient_key="k" * 64, opted_out=True
    )

    await reports.queue_event(report.id, topics.NOTIFICATION_PREFERENCES, event)

    assert (await reports.get(report.id)).pending_events == [
        (topics.NOTIFICATION_PREFERENCES, event)
    ]
    assert report.id in [r.id for r in await reports.with_pending_events(1000)]


# --- mail through the real SMTP sink --------------------------------------------------------


async def test_a_citizen_mail_arrives_as_text_and_html_with_one_click_unsubscribe(
    infrastructure: LocalSystem,
) -> None:
    address = f"anna-{uuid.uuid4().hex[:8]}@example.org"
    mailer = SmtpMailer("127.0.0.1", infrastructure.smtp_port, "Stadtmelder <noreply@example.org>")
    mail = confirmation_mail(submitted(), address, "tr", LINKS)

    await mailer.send(mail, "tr")
    await mailer.close()

    [message] = await wait_until(lambda: infrastructure.mailbox.received(address))
    assert message.get_content_type() == "multipart/alternative"
    assert str(message["Subject"]) == "ABCDE-12345 numaralı bildiriminizi aldık"
    assert message["List-Unsubscribe"] == f"<{mail.unsubscribe_url}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None
    assert html is not None
    assert "Bildirim numaranız ABCDE-12345." in text.get_content()
    assert '<html lang="tr"' in html.get_content()
