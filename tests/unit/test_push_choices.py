"""A browser's push subscription for a report, announced to notify in place or as a command
applied by the report's owner (two replicas in memory), whose subscription travels sealed; and a
mail link's preferences as such a command."""

from dataclasses import replace

import pytest

from stadtmelder_reports.core.catalogue import load_jurisdiction
from stadtmelder_reports.core.citizen_choices import CitizenChoices, commanded
from stadtmelder_reports.core.domain import Submission
from stadtmelder_reports.core.service import ReportService
from stadtmelder_reports.errors import TrackingTokenUnknown, WriteStillPending
from stadtmelder_shared.citizen_events import (
    NotificationPreferencesChanged,
    PushSubscriptionChanged,
)
from stadtmelder_shared.contacts import Contacts
from stadtmelder_shared.data_keys import reporter_key_id
from stadtmelder_shared.departments import load_directory
from stadtmelder_shared.event_values import Location, PushSubscription, Reporter
from tests.command_fakes import Loopback
from tests.data_key_fakes import InMemoryDataKeys
from tests.examples import KOENIGSTRASSE, valid_answers
from tests.fakes import InMemoryReportRepository

DUISBURG = load_jurisdiction()
BROWSER = PushSubscription(
    endpoint="https://push.example/send/browser-of-anna-4711",
    p256dh="BPublicKeyOfAnnasBrowser",
    auth="AuthSecretOfAnna",
)


class System:
    def __init__(self, commands: Loopback | None = None) -> None:
        self.reports = InMemoryReportRepository()
        self.keys = InMemoryDataKeys()
        self.service = ReportService(
            self.reports, DUISBURG, directory=load_directory(), data_keys=self.keys
        )
        self.choices = CitizenChoices(self.reports)
        self.loopback = commands
        if commands is not None:
            owner = commanded(self.choices, commands.owner, Contacts(self.keys))
            self.choices = replace(owner, commands=commands.asker)

    async def a_report(self) -> tuple[str, str]:
        category = "street_light_out"
        place = Location(lat=KOENIGSTRASSE[0], lon=KOENIGSTRASSE[1])
        answers = valid_answers(DUISBURG.category(category))
        anna = Reporter(email="anna@example.org")
        submission = Submission(
            category, "Laterne am Pushweg", place, answers=answers, contact=anna
        )
        new = await self.service.submit_report(submission)
        return new.report.id, new.tracking_token

    def announced(self, report_id: str) -> list[PushSubscriptionChanged]:
        pending = self.reports.reports[report_id].pending_events
        return [event for _, event in pending if isinstance(event, PushSubscriptionChanged)]


@pytest.fixture(params=["in place", "as commands"])
def system(request: pytest.FixtureRequest) -> System:
    return System(Loopback(wait_seconds=5.0) if request.param == "as commands" else None)


async def test_a_subscription_and_its_end_reach_notify_with_the_browsers_keys(
    system: System,
) -> None:
    report_id, token = await system.a_report()

    assert await system.choices.change_push_subscription(token, BROWSER, True, "tr") == report_id
    assert await system.choices.change_push_subscription(token, BROWSER, False) == report_id

    announced = system.announced(report_id)
    assert [(e.subscription, e.subscribed, e.language) for e in announced] == [
        (BROWSER, True, "tr"),
        (BROWSER, False, "de"),
    ]


async def test_a_wrong_tracking_token_announces_nothing(system: System) -> None:
    report_id, _ = await system.a_report()

    with pytest.raises(TrackingTokenUnknown):
        await system.choices.change_push_subscription("not-the-token", BROWSER, True)

    assert system.announced(report_id) == []
    assert system.loopback is None or system.loopback.held == []


async def test_the_command_carries_neither_the_subscription_nor_the_tracking_token() -> None:
    system = System(Loopback(wait_seconds=5.0))
    report_id, token = await system.a_report()

    await system.choices.change_push_subscription(token, BROWSER, True)

    assert system.loopback is not None
    [command] = system.loopback.held
    carried = command.model_dump_json()
    for secret in (BROWSER.endpoint, BROWSER.p256dh, BROWSER.auth, token, "anna"):
        assert secret not in carried
    assert [e.subscription for e in system.announced(report_id)] == [BROWSER]


async def test_a_command_delivered_again_is_announced_once() -> None:
    loopback = Loopback(wait_seconds=5.0)
    system = System(loopback)
    report_id, token = await system.a_report()
    await system.choices.change_push_subscription(token, BROWSER, True)

    # A new owner after a rebalance gets it again (its results remembered nowhere).
    again = Loopback()
    owner = commanded(CitizenChoices(system.reports), again.owner, Contacts(system.keys))
    assert owner.commands is again.owner
    assert await again.deliver(loopback.held[0]) is False

    assert len(system.announced(report_id)) == 1


async def test_a_reporter_erased_before_the_owner_applies_is_not_subscribed() -> None:
    loopback = Loopback(wait_seconds=0.05, hold=True)
    system = System(loopback)
    report_id, token = await system.a_report()
    with pytest.raises(WriteStillPending):
        await system.choices.change_push_subscription(token, BROWSER, True)

    await system.keys.destroy(reporter_key_id(report_id))

    assert await loopback.deliver(loopback.held[0]) is False
    assert system.announced(report_id) == []


async def test_a_preferences_command_delivered_again_is_announced_once() -> None:
    loopback = Loopback(wait_seconds=5.0)
    system = System(loopback)
    report_id, _ = await system.a_report()
    assert (
        await system.choices.change_notification_preferences(
            report_id, "recipient-key-of-anna", opted_out=True, language="en"
        )
        == report_id
    )

    again = Loopback()
    commanded(CitizenChoices(system.reports), again.owner, Contacts(system.keys))
    assert await again.deliver(loopback.held[0]) is False

    pending = system.reports.reports[report_id].pending_events
    announced = [e for _, e in pending if isinstance(e, NotificationPreferencesChanged)]
    assert [(e.recipient_key, e.opted_out, e.language) for e in announced] == [
        ("recipient-key-of-anna", True, "en")
    ]
    assert announced[0].event_id != loopback.held[0].event_id
