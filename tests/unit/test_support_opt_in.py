"""Supporters' double opt-in in reports: the rules, the use cases over in-memory stores, and the
confirmation link (opening asks, the button confirms, a forged or expired link is refused)."""

import dataclasses
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from typing import TypeVar

import pytest
from litestar import Litestar
from litestar.testing import AsyncTestClient

from stadtmelder_notify.links import MailLinks
from stadtmelder_reports.app import build_app
from stadtmelder_reports.citizen_links.domain import LinkTokens
from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.domain import Report, Submission
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.http.rate_limits import SubmissionLimiter
from stadtmelder_reports.http.requests import ApiSettings
from stadtmelder_reports.support.commanded import SUPPORT_ACTIONS
from stadtmelder_reports.support.domain import (
    Supporter,
    SupportLinkExpired,
    confirmation,
    is_expired,
    next_step,
)
from stadtmelder_reports.support.service import SupportService
from stadtmelder_shared.citizen_events import ContactDataErased, ReportSupported, SupporterConfirmed
from stadtmelder_shared.data_keys import supporter_key_id
from stadtmelder_shared.event_values import CategoryRef, Location, Reporter
from stadtmelder_shared.link_tokens import DEVELOPMENT_LINK_SECRET, LinkHolder
from tests.command_fakes import Loopback
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.fakes import InMemoryReportRepository, recipient_key
from tests.support_fakes import in_memory_support
from tests.unit.test_erasure import submitted
from tests.unit.test_retention import Clock

DUISBURG = load_jurisdiction()
E = TypeVar("E")
START = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
BEN = Reporter(email="ben@example.org", language="tr")
MAIL_LINKS = MailLinks("https://melder.example", DEVELOPMENT_LINK_SECRET.encode())
HTML = {"accept": "text/html"}


def a_supporter(asked: timedelta | None, confirmed: bool = False) -> Supporter:
    asked_at = START - asked if asked is not None else None
    return Supporter("k" * 64, BEN, asked_at, confirmed)


@pytest.mark.parametrize(
    ("known", "step"),
    [
        (None, "ask"),
        (a_supporter(timedelta(minutes=5)), "nothing"),
        (a_supporter(timedelta(minutes=15)), "ask_again"),
        (a_supporter(timedelta(days=2), confirmed=True), "nothing"),
        (a_supporter(None), "nothing"),  # kept before the double opt-in: told from the start
    ],
)
def test_supporting_asks_once_and_again_only_after_a_quarter_hour(
    known: Supporter | None, step: str
) -> None:
    assert next_step(known, START) == step


def test_an_address_unconfirmed_for_seven_days_expires_and_its_link_is_refused() -> None:
    assert not is_expired(a_supporter(timedelta(days=7)), START)
    late = a_supporter(timedelta(days=7, seconds=1))
    assert is_expired(late, START)
    assert not is_expired(a_supporter(timedelta(days=30), confirmed=True), START)
    report = Report(
        "ABCDE-12345", "duisburg", CategoryRef(code="x", names={}), "", None, "de", None, START
    )
    with pytest.raises(SupportLinkExpired):
        confirmation(report, late, START)
    with pytest.raises(SupportLinkExpired):
        confirmation(report, None, START)
    assert confirmation(report, a_supporter(timedelta(days=1), confirmed=True), START) is None
    event = confirmation(report, a_supporter(timedelta(days=1)), START)
    assert event is not None
    assert event.recipient_key == "k" * 64


@pytest.fixture
def clock() -> Clock:
    return Clock(START)


@pytest.fixture
def repository() -> InMemoryReportRepository:
    return InMemoryReportRepository()


@pytest.fixture(params=["in place", "as commands"])
def commands(request: pytest.FixtureRequest) -> Loopback | None:
    """Support applied here, or sent to the report's owner as commands (in memory)."""
    return Loopback(wait_seconds=5.0) if request.param == "as commands" else None


@pytest.fixture
def support(
    repository: InMemoryReportRepository, clock: Clock, commands: Loopback | None
) -> SupportService:
    service = ReportService(repository, DUISBURG, clock=clock, data_keys=InMemoryDataKeys())
    asker = commands.asker if commands else None
    support = dataclasses.replace(
        in_memory_support(service, repository), clock=clock, commands=asker
    )
    if commands is not None:
        for kind in SUPPORT_ACTIONS:
            commands.owner.applies(kind, support.apply_command)
    return support


async def test_support_and_its_confirmation_reach_the_reports_owner_with_the_address_sealed(
    support: SupportService, repository: InMemoryReportRepository, commands: Loopback | None
) -> None:
    report_id = await a_report_id(support)

    shown = await support.support(report_id, BEN)
    await support.confirm(LinkHolder(report_id, recipient_key(report_id, "ben@example.org")))

    assert shown.supporter_count == 1
    assert len(events_of(repository, report_id, SupporterConfirmed)) == 1
    sent = commands.held if commands else []
    assert [c.action.kind for c in sent] == (
        ["support", "support-confirmation"] if commands else []
    )
    assert all("ben@example.org" not in c.model_dump_json() for c in sent)


async def a_report_id(support: SupportService) -> str:
    new = await support.reports.submit_report(
        Submission(
            category="road_damage",
            description="Schlagloch vor Hausnummer 40",
            location=Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1]),
            answers=valid_answers(DUISBURG.category("road_damage")),
            contact=Reporter(email="anna@example.org"),
        )
    )
    return new.report.id


def events_of(repository: InMemoryReportRepository, report_id: str, kind: type[E]) -> list[E]:
    return [e for _, e in repository.reports[report_id].pending_events if isinstance(e, kind)]


async def test_support_counts_at_once_and_asks_the_address_once_within_the_window(
    support: SupportService, repository: InMemoryReportRepository, clock: Clock
) -> None:
    report_id = await a_report_id(support)

    first = await support.support(report_id, BEN)
    clock.now += timedelta(minutes=10)
    again = await support.support(report_id, BEN)

    assert (first.supporter_count, again.supporter_count) == (1, 1)
    [asked] = events_of(repository, report_id, ReportSupported)
    assert asked.supporter is not None
    assert not asked.again
    assert "ben@example.org" not in asked.model_dump_json()


async def test_supporting_again_after_the_window_repeats_the_request_without_counting(
    support: SupportService, repository: InMemoryReportRepository, clock: Clock
) -> None:
    report_id = await a_report_id(support)
    await support.support(report_id, BEN)
    clock.now += timedelta(minutes=16)

    again = await support.support(report_id, BEN)

    assert again.supporter_count == 1
    asked = events_of(repository, report_id, ReportSupported)
    assert [(e.again, e.supporter_count) for e in asked] == [(False, 1), (True, 1)]


async def test_anonymous_support_and_the_reporters_own_address_count_but_ask_nobody(
    support: SupportService, repository: InMemoryReportRepository
) -> None:
    report_id = await a_report_id(support)

    await support.support(report_id, None)
    shown = await support.support(report_id, Reporter(email="ANNA@example.org"))

    assert shown.supporter_count == 2
    assert [e.supporter for e in events_of(repository, report_id, ReportSupported)] == [None] * 2


async def test_the_link_confirms_once_and_announces_only_the_recipient_key(
    support: SupportService, repository: InMemoryReportRepository, clock: Clock
) -> None:
    report_id = await a_report_id(support)
    await support.support(report_id, BEN)
    holder = LinkHolder(report_id, recipient_key(report_id, "ben@example.org"))
    clock.now += timedelta(days=6)

    _, asked = await support.to_confirm(holder)
    await support.confirm(holder)
    await support.confirm(holder)
    _, known = await support.to_confirm(holder)

    assert (asked.confirmed, known.confirmed) == (False, True)
    [confirmed] = events_of(repository, report_id, SupporterConfirmed)
    assert confirmed.recipient_key == holder.recipient
    clock.now += timedelta(minutes=30)
    await support.support(report_id, BEN)  # confirmed: asked no more
    assert len(events_of(repository, report_id, ReportSupported)) == 1


async def test_a_link_opened_after_seven_days_is_refused(
    support: SupportService, clock: Clock
) -> None:
    report_id = await a_report_id(support)
    await support.support(report_id, BEN)
    clock.now += timedelta(days=7, minutes=1)

    with pytest.raises(SupportLinkExpired):
        await support.confirm(LinkHolder(report_id, recipient_key(report_id, "ben@example.org")))


async def test_unconfirmed_addresses_are_erased_after_seven_days_and_confirmed_ones_stay(
    support: SupportService,
    repository: InMemoryReportRepository,
    clock: Clock,
    commands: Loopback | None,
) -> None:
    report_id = await a_report_id(support)
    await support.support(report_id, BEN)
    await support.support(report_id, Reporter(email="cem@example.org"))
    cem = recipient_key(report_id, "cem@example.org")
    await support.confirm(LinkHolder(report_id, cem))
    ben = recipient_key(report_id, "ben@example.org")
    keys = support.reports.data_keys
    assert await keys.find(supporter_key_id(report_id, ben)) is not None

    clock.now += timedelta(days=6)
    assert await support.forget_unconfirmed() == 0
    clock.now += timedelta(days=1, minutes=1)
    assert await support.forget_unconfirmed() == 1
    assert await support.forget_unconfirmed() == 0

    assert [e.recipient_key for e in events_of(repository, report_id, ContactDataErased)] == [ben]
    assert await keys.find(supporter_key_id(report_id, ben)) is None
    assert await keys.find(supporter_key_id(report_id, cem)) is not None
    assert [s["email"] for s in repository.supporter_entries[report_id]] == ["cem@example.org"]
    if commands is not None:  # the timer's replica asked the report's owner, once
        expiries = [c.action for c in commands.held if c.action.kind == "supporter-expiry"]
        assert [getattr(e, "recipient", None) for e in expiries] == [ben]


# --- the link ----------------------------------------------------------------------------


@pytest.fixture
async def client(support: SupportService) -> AsyncIterator[AsyncTestClient[Litestar]]:
    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        app.state.service = support.reports
        app.state.support = support
        app.state.link_tokens = LinkTokens(DEVELOPMENT_LINK_SECRET.encode())
        yield

    app = build_app(lifespan, ApiSettings("https://melder.example", 200_000), SubmissionLimiter(20))
    async with AsyncTestClient(app) as client:
        yield client


async def a_supported_report(support: SupportService, email: str, language: str) -> tuple[str, str]:
    report_id = (await submitted(support.reports)).report.id
    await support.support(report_id, Reporter(email=email, language=language))
    link = MAIL_LINKS.support_confirmation(report_id, email, language)
    return report_id, link.removeprefix("https://melder.example")


async def test_opening_the_link_asks_and_the_button_confirms_in_the_supporters_language(
    client: AsyncTestClient[Litestar],
    support: SupportService,
    repository: InMemoryReportRepository,
) -> None:
    report_id, link = await a_supported_report(support, "ben@example.org", "en")

    asked = await client.get(link, headers=HTML)
    events = repository.reports[report_id].pending_events
    assert not [
        e for _, e in events if isinstance(e, SupporterConfirmed)
    ]  # opening changed nothing
    done = await client.post(link, headers=HTML)
    again = await client.post(link, headers={"accept": "application/json"})

    assert asked.status_code == 200
    assert "Would you like to hear about each further step" in asked.text
    assert re.search(r"<form method=\"post\">.*Yes, keep me informed</button>", asked.text, re.S)
    assert asked.headers["cache-control"] == "no-store"
    assert done.status_code == 200
    assert f"We will write to you at each further step of report {report_id}" in done.text
    assert 'lang="en"' in done.text
    assert "ben@example.org" not in asked.text + done.text
    assert again.json() == {
        "report_id": report_id,
        "confirmed": True,
        "detail": f"Thank you! We will write to you at each further step of report {report_id}.",
    }
    confirmed = [e for _, e in events if isinstance(e, SupporterConfirmed)]
    assert len(confirmed) == 1


async def test_a_forged_link_is_404_and_an_expired_one_says_how_to_get_a_new_one(
    client: AsyncTestClient[Litestar], support: SupportService, clock: Clock
) -> None:
    _, link = await a_supported_report(support, "eve@example.org", "de")
    path, _, query = link.partition("?")
    forged = await client.get(f"{path[:-3]}xyz?{query}", headers=HTML)
    clock.now = START + timedelta(days=8)

    late_page = await client.get(link, headers=HTML)
    late_api = await client.post(link, headers={"accept": "application/json"})

    assert forged.status_code == 404
    assert late_page.status_code == 404
    assert "Dieser Link ist abgelaufen" in late_page.text
    assert "<form" not in late_page.text
    assert late_api.status_code == 404
    assert late_api.json()["code"] == "support_link_expired"


async def test_the_report_page_asks_to_confirm_only_when_an_address_came_with_the_support(
    client: AsyncTestClient[Litestar], support: SupportService
) -> None:
    report_id = (await submitted(support.reports)).report.id
    form = {"content-type": "application/x-www-form-urlencoded", **HTML}
    path = f"/reports/{report_id}/support"

    with_address = await client.post(
        path, content="email=ben%40example.org", headers=form, follow_redirects=False
    )
    anonymous = await client.post(path, content="", headers=form, follow_redirects=False)
    asked = await client.get(with_address.headers["location"] + "&lang=en", headers=HTML)
    thanked = await client.get(anonymous.headers["location"] + "&lang=en", headers=HTML)

    assert with_address.headers["location"] == f"/reports/{report_id}?supported=confirm"
    assert "Please confirm your e-mail address with the link" in asked.text
    assert "You now support this report." in thanked.text
    assert "Please confirm" not in thanked.text
