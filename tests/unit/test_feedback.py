"""The loop back from the citizen: feedback links, unsubscribe and language links, and the
notices of notify in the report's history, through the reports service's HTTP API."""

import json
from collections.abc import AsyncIterator
from dataclasses import replace
from functools import partial
from typing import Any

import pytest
from faststream.kafka import KafkaBroker, TestKafkaBroker
from litestar import Litestar
from litestar.di import Provide
from litestar.testing import AsyncTestClient

from stadtmelder_notify.links import MailLinks
from stadtmelder_reports import support
from stadtmelder_reports.citizen_links import routes as citizen_links
from stadtmelder_reports.citizen_links.service import apply_feedback
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.citizen_choices import CitizenChoices, commanded
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.handlers import register_handlers
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.errors import EXCEPTION_HANDLERS
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.reports_api import ReportsController
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.staff.auth import StaffMember
from stadtmelder_reports.staff.commanded import STAFF_ACTIONS, apply_staff_command
from stadtmelder_reports.staff.service import QueueFilters, WorkService
from stadtmelder_reports.staff.workflow import TransitionRequest
from stadtmelder_reports.web.routes import web_template_config
from stadtmelder_shared import topics
from stadtmelder_shared.citizen_events import (
    CitizenNotified,
    FeedbackReceived,
    NotificationPreferencesChanged,
)
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Location, Reporter
from stadtmelder_shared.report_events import ReportRouted, ReportStatusChanged, ReportSubmitted
from stadtmelder_shared.sealing import open_sealed
from tests.command_fakes import Loopback
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.fakes import (
    InMemoryAuditLog,
    InMemoryReportRepository,
    InMemoryStaffRoster,
)

DUISBURG = load_jurisdiction()
DIRECTORY = load_directory()
BASE = "https://melder.example"
SECRET = b"unit-test-link-secret-of-32-bytes!"
LINKS = MailLinks(BASE, SECRET)
ANNA, BEN = "anna@example.org", "ben@example.org"
CLERK = StaffMember("licht-clerk", frozenset({"clerk"}), "stadt-licht")
BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


class System:
    """With `commands`, the answers and steps travel to the report's owner as commands (two
    replicas' worth, in memory), which must change nothing a caller sees."""

    def __init__(self, commands: Loopback | None = None) -> None:
        self.reports = InMemoryReportRepository()
        self.keys = InMemoryDataKeys()
        self.service = ReportService(
            self.reports, DUISBURG, directory=DIRECTORY, data_keys=self.keys
        )
        self.choices = CitizenChoices(self.reports)
        self.work = WorkService(
            self.reports,
            InMemoryAuditLog(),
            InMemoryStaffRoster(),
            DIRECTORY,
            DUISBURG.code,
            commands=commands.asker if commands else None,
        )
        if commands is not None:
            for kind in STAFF_ACTIONS:
                commands.owner.applies(kind, partial(apply_staff_command, self.work))
            commands.owner.applies("feedback", partial(apply_feedback, self.choices, self.work))
            # Preferences too: the replica asked sends them, the owner announces them.
            owner = commanded(self.choices, commands.owner, Contacts(self.keys))
            self.choices = replace(owner, commands=commands.asker)

    async def a_report(self, address: str = ANNA) -> str:
        new = await self.service.submit_report(
            Submission(
                "street_light_out",
                "Laterne dunkel",
                Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1]),
                answers=valid_answers(DUISBURG.category("street_light_out")),
                contact=Reporter(email=address),
            )
        )
        report = new.report
        await self.service.record_routing(
            ReportRouted(
                report_id=report.id,
                jurisdiction="duisburg",
                category=report.category,
                department=DIRECTORY.get("stadt-licht").ref(),  # type: ignore[union-attr]
                rule="test",
                caused_by=report.pending_events[0][1].event_id,
            )
        )
        return report.id

    async def a_resolved_report(self) -> str:
        report_id = await self.a_report()
        for step in ("acknowledged", "in_progress", "resolved"):
            await self.work.transition(CLERK, report_id, TransitionRequest(to=step))
        return report_id

    def events(self, report_id: str, kind: type[Event]) -> list[Any]:
        pending = self.reports.reports[report_id].pending_events
        return [event for _, event in pending if isinstance(event, kind)]

    def topics_of(self, report_id: str, kind: type[Event]) -> list[str]:
        pending = self.reports.reports[report_id].pending_events
        return [topic for topic, event in pending if isinstance(event, kind)]


@pytest.fixture(params=["in place", "as commands"])
def system(request: pytest.FixtureRequest) -> System:
    return System(Loopback(wait_seconds=5.0) if request.param == "as commands" else None)


@pytest.fixture
async def client(system: System) -> AsyncIterator[AsyncTestClient[Litestar]]:
    app = Litestar(
        route_handlers=[*citizen_links.ROUTE_HANDLERS, ReportsController],
        dependencies={
            "service": Provide(lambda: system.service, sync_to_thread=False),
            "choices": Provide(lambda: system.choices, sync_to_thread=False),
            "work": Provide(lambda: system.work, sync_to_thread=False),
            "links": Provide(lambda: ApiSettings(BASE, 100_000), sync_to_thread=False),
            "limiter": Provide(lambda: SubmissionLimiter(20), sync_to_thread=False),
            # No test here sends a photo, so no worker process is started for them.
            "photo_workers": Provide(lambda: None, sync_to_thread=False),
            # The API's support route needs it to be built; no test here supports a report.
            **support.DEPENDENCIES,
        },
        exception_handlers=EXCEPTION_HANDLERS,
        logging_config=None,
        template_config=web_template_config(),
    )
    citizen_links.register(app.state, SECRET)
    async with AsyncTestClient(app) as client:
        yield client


def feedback_path(report_id: str, address: str = ANNA) -> str:
    return LINKS.feedback(report_id, address, "de").removeprefix(BASE).split("?")[0]


def unsubscribe_path(report_id: str, address: str = ANNA) -> str:
    return LINKS.unsubscribe(report_id, address).removeprefix(BASE)


def preferences_path(report_id: str, address: str = ANNA) -> str:
    return LINKS.language(report_id, address, "en").removeprefix(BASE).split("?")[0]


# --- feedback -------------------------------------------------------------------------------


async def test_opening_a_feedback_link_shows_the_question_and_records_nothing(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_resolved_report()

    response = await client.get(feedback_path(report_id), params={"outcome": "not_fixed"})

    assert response.status_code == 200
    shown = response.json()
    assert shown["report_id"] == report_id
    assert shown["status"] == "resolved"
    assert shown["selected"] == "not_fixed"
    assert shown["open"] is True
    assert [choice["key"] for choice in shown["choices"]] == ["fixed", "partly", "not_fixed"]
    assert shown["how_to_answer"].startswith("Das Öffnen dieses Links speichert nichts.")
    assert system.events(report_id, FeedbackReceived) == []
    assert system.reports.reports[report_id].status == "resolved"


async def test_a_browser_gets_a_form_with_the_chosen_answer_in_its_language(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_resolved_report()

    response = await client.get(
        feedback_path(report_id), params={"outcome": "partly", "lang": "tr"}, headers=BROWSER
    )

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "no-referrer"
    page = response.text
    assert '<html lang="tr">' in page
    assert "Sorun giderildi mi?" in page
    assert 'value="partly" required checked' in page
    assert '<form method="post">' in page
    assert system.events(report_id, FeedbackReceived) == []


async def test_not_fixed_reopens_the_report_into_the_departments_queue(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_resolved_report()

    response = await client.post(
        feedback_path(report_id),
        json={"outcome": "not_fixed", "comment": "Immer noch dunkel, Anna", "rating": 2},
    )

    assert response.status_code == 201, response.text
    assert response.json()["status"] == "reopened"
    assert response.json()["recorded"] is True
    [feedback] = system.events(report_id, FeedbackReceived)
    assert (feedback.outcome, feedback.rating) == ("not_fixed", 2)
    assert system.topics_of(report_id, FeedbackReceived) == [topics.REPORTS_FEEDBACK]
    reopened = system.events(report_id, ReportStatusChanged)[-1]
    assert (reopened.status, reopened.actor.role) == ("reopened", "citizen")
    assert reopened.public_comment is None
    queue = await system.work.queue(CLERK, "stadt-licht", QueueFilters())
    assert report_id in [report.id for report in queue]
    notes = system.reports.reports[report_id].comments
    assert [(n.visibility, n.text) for n in notes] == [("internal", "Immer noch dunkel, Anna")]

    public = (await client.get(f"/api/v1/reports/{report_id}")).json()
    assert public["status"] == "reopened"
    assert [(f["outcome"], f["rating"]) for f in public["feedback"]] == [("not_fixed", 2)]
    assert "Immer noch dunkel" not in json.dumps(public)
    assert ANNA not in json.dumps(public)


async def test_the_same_answer_twice_counts_once_and_reopens_once(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_resolved_report()

    first = await client.post(feedback_path(report_id), json={"outcome": "not_fixed"})
    again = await client.post(feedback_path(report_id), json={"outcome": "not_fixed"})

    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["recorded"] is False
    assert len(system.events(report_id, FeedbackReceived)) == 1
    statuses = [e.status for e in system.events(report_id, ReportStatusChanged)]
    assert statuses.count("reopened") == 1


async def test_a_different_second_answer_is_refused(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_resolved_report()
    await client.post(feedback_path(report_id), json={"outcome": "fixed", "rating": 5})

    response = await client.post(feedback_path(report_id), json={"outcome": "partly"})

    assert response.status_code == 409
    assert response.json()["code"] == "already_answered"
    assert response.json()["answer"]["outcome"] == "fixed"
    shown = (await client.get(feedback_path(report_id))).json()
    assert shown["open"] is False
    assert shown["answer"]["outcome"] == "fixed"


async def test_fixed_keeps_the_report_resolved_and_the_comment_for_staff_only(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_resolved_report()

    response = await client.post(
        feedback_path(report_id), json={"outcome": "fixed", "comment": "Danke!", "rating": 5}
    )

    assert response.status_code == 201
    report = system.reports.reports[report_id]
    assert report.status == "resolved"
    assert [(c.visibility, c.text) for c in report.comments] == [("internal", "Danke!")]
    public = (await client.get(f"/api/v1/reports/{report_id}")).json()
    assert public["feedback"][0]["outcome"] == "fixed"
    assert public["comments"] == []


async def test_each_follower_answers_for_themselves(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_resolved_report()

    anna = await client.post(feedback_path(report_id, ANNA), json={"outcome": "fixed"})
    ben = await client.post(feedback_path(report_id, BEN), json={"outcome": "not_fixed"})

    assert (anna.status_code, ben.status_code) == (201, 201)
    assert [e.outcome for e in system.events(report_id, FeedbackReceived)] == [
        "fixed",
        "not_fixed",
    ]
    assert system.reports.reports[report_id].status == "reopened"


async def test_there_is_nothing_to_answer_while_the_report_is_not_resolved(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_report()

    shown = await client.get(feedback_path(report_id), params={"outcome": "fixed"})
    answered = await client.post(feedback_path(report_id), json={"outcome": "fixed"})

    assert shown.json()["open"] is False
    assert answered.status_code == 409
    assert answered.json()["code"] == "feedback_not_asked"
    assert system.events(report_id, FeedbackReceived) == []


async def test_a_browser_form_answers_with_comment_and_rating(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_resolved_report()

    response = await client.post(
        feedback_path(report_id) + "?lang=en",
        data={"outcome": "not_fixed", "comment": "", "rating": "1"},
        headers=BROWSER,
    )

    assert response.status_code == 201, response.text
    assert "Thank you for your answer!" in response.text
    assert "back with the department" in response.text
    [feedback] = system.events(report_id, FeedbackReceived)
    assert (feedback.outcome, feedback.rating, feedback.comment) == ("not_fixed", 1, None)


async def test_forged_links_and_links_for_another_purpose_are_refused(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_resolved_report()
    unsubscribe_token = unsubscribe_path(report_id).rsplit("/", 1)[1]
    forged = feedback_path(report_id)[:-3] + "AAA"

    for path in (forged, f"/api/v1/feedback/{unsubscribe_token}"):
        assert (await client.get(path)).json()["code"] == "link_invalid"
        response = await client.post(path, json={"outcome": "not_fixed"})
        assert response.status_code == 404
    page = await client.get(forged + "?lang=en", headers=BROWSER)
    assert page.status_code == 404
    assert "This link is not valid" in page.text
    assert system.reports.reports[report_id].status == "resolved"


async def test_an_answer_that_is_no_answer_is_explained(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_resolved_report()

    response = await client.post(feedback_path(report_id), json={"outcome": "maybe", "rating": 9})

    assert response.status_code == 400
    assert {e["field"] for e in response.json()["errors"]} == {"outcome", "rating"}


async def test_a_browser_sending_no_readable_answer_is_told_so_in_the_pages_language(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_resolved_report()

    response = await client.post(
        feedback_path(report_id),
        params={"lang": "tr"},
        content=b"[]",
        headers={**BROWSER, "content-type": "application/json"},
    )

    assert response.status_code == 400
    assert '<html lang="tr">' in response.text
    assert "Yanıtınız okunamadı." in response.text
    assert "JSON" not in response.text


# --- unsubscribe and language ---------------------------------------------------------------


async def test_opening_the_unsubscribe_link_changes_nothing(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_report()

    as_json = await client.get(unsubscribe_path(report_id))
    as_page = await client.get(
        unsubscribe_path(report_id), headers={**BROWSER, "accept-language": "tr, de;q=0.5"}
    )

    assert as_json.status_code == 200
    assert as_json.json()["opted_out"] is None
    assert '<html lang="tr">' in as_page.text
    assert '<form method="post">' in as_page.text
    assert system.events(report_id, NotificationPreferencesChanged) == []


async def test_one_click_unsubscribe_announces_the_opt_out_without_the_address(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_report()

    # What a mail client sends for RFC 8058's List-Unsubscribe-Post.
    response = await client.post(
        unsubscribe_path(report_id),
        content=b"List-Unsubscribe=One-Click",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 200
    assert response.json()["opted_out"] is True
    [event] = system.events(report_id, NotificationPreferencesChanged)
    assert system.topics_of(report_id, NotificationPreferencesChanged) == [
        topics.NOTIFICATION_PREFERENCES
    ]
    assert event.recipient_key == LINKS.recipient(report_id, ANNA)
    assert event.opted_out is True
    assert "anna" not in event.model_dump_json()


async def test_the_language_link_shows_a_form_and_a_post_chooses_the_language(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_report()

    page = await client.get(preferences_path(report_id), params={"language": "en"}, headers=BROWSER)
    chosen = await client.post(preferences_path(report_id), json={"language": "tr"})
    back = await client.post(
        preferences_path(report_id), data={"opted_out": "false"}, headers=BROWSER
    )

    assert '<html lang="en">' in page.text
    assert 'value="en" checked' in page.text
    assert 'href="/api/v1/notifications/preferences/' in page.text, "the site's switcher"
    assert chosen.status_code == 200
    assert back.status_code == 200
    assert "Sie bekommen wieder E-Mails" in back.text
    events = system.events(report_id, NotificationPreferencesChanged)
    assert [(e.language, e.opted_out) for e in events] == [("tr", None), (None, False)]


async def test_preferences_for_an_unknown_report_are_refused(
    client: AsyncTestClient[Litestar],
) -> None:
    response = await client.post(unsubscribe_path("NOPE0-00000"))
    assert response.status_code == 404
    assert response.json()["code"] == "report_not_found"


# --- notices and the tracking token ---------------------------------------------------------


async def test_notify_notices_join_the_public_history_once_per_step_without_who(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_report()
    broker = KafkaBroker()
    register_handlers(broker, system.service, system.work, "reports")

    def notified(event_id: str, step: str) -> dict[str, Any]:
        return CitizenNotified(
            event_id=event_id,
            report_id=report_id,
            jurisdiction="duisburg",
            channel="email",
            notification=step,
            caused_by=f"cause-{step}",
        ).model_dump(mode="json")

    async with TestKafkaBroker(broker) as test_broker:
        for event_id, step in [("n1", "submitted"), ("n2", "routed"), ("n3", "routed")]:
            await test_broker.publish(notified(event_id, step), topics.CITIZENS_NOTIFIED)
        await test_broker.publish(notified("n2", "routed"), topics.CITIZENS_NOTIFIED)
        await test_broker.publish(b"not an event", topics.CITIZENS_NOTIFIED)

    assert len(system.reports.reports[report_id].notices) == 3
    public = (await client.get(f"/api/v1/reports/{report_id}")).json()
    assert [(n["step"], n["channel"]) for n in public["notified"]] == [
        ("submitted", "email"),
        ("routed", "email"),
    ]


async def test_the_tracking_token_travels_to_notify_but_is_never_shown_publicly(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    submitted = await client.post(
        "/api/v1/reports",
        json={
            "category": "street_light_out",
            "description": "Laterne dunkel",
            "lat": KOENIGSTRASSE[0],
            "lon": KOENIGSTRASSE[1],
            "answers": valid_answers(DUISBURG.category("street_light_out")),
            "email": ANNA,
            "language": "tr",
        },
    )
    assert submitted.status_code == 201, submitted.text
    token, report_id = submitted.json()["tracking_token"], submitted.json()["id"]

    [event] = system.events(report_id, ReportSubmitted)
    # Sealed under the report's data key, which only notify (and erasure) reach.
    key = system.keys.keys[report_id]
    assert open_sealed(key, event.tracking_token, "tracking_token") == token
    assert ANNA in open_sealed(key, event.reporter, "reporter")
    assert token not in event.model_dump_json()
    shown = await client.get(f"/api/v1/reports/{report_id}")
    listed = await client.get("/api/v1/reports")
    assert token not in shown.text
    assert token not in listed.text


# --- the pages behind the links: the site's frame, the language just chosen ------------------


async def test_the_unsubscribe_page_follows_the_language_just_chosen_for_the_mails(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_report()
    german_browser = {**BROWSER, "accept-language": "de-DE,de;q=0.9"}

    chosen = await client.post(
        preferences_path(report_id), data={"language": "en"}, headers=german_browser
    )
    unsubscribe = await client.get(unsubscribe_path(report_id), headers=german_browser)

    assert '<html lang="en">' in chosen.text
    assert "Saved. We will write to you about this report as you chose." in chosen.text
    assert '<html lang="en">' in unsubscribe.text
    assert f"No more e-mails about report {report_id}?" in unsubscribe.text


async def test_the_unsubscribe_link_of_an_english_mail_opens_in_english_in_the_sites_frame(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_report()
    link = LINKS.unsubscribe(report_id, ANNA, "en").removeprefix(BASE)

    page = await client.get(link, headers={**BROWSER, "accept-language": "de"})

    assert '<html lang="en">' in page.text
    assert 'class="main-nav"' in page.text, "the site's menu"
    assert 'class="bottom"' in page.text, "the site's footer"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"


async def test_the_feedback_form_says_what_becomes_public_before_it_is_sent(
    system: System, client: AsyncTestClient[Litestar]
) -> None:
    report_id = await system.a_resolved_report()

    page = await client.get(feedback_path(report_id), params={"lang": "en"}, headers=BROWSER)

    assert "your rating appear with the date, but without your name" in page.text
    assert 'aria-describedby="public-hint"' in page.text
