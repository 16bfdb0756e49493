"""A routed message waits for its report's confirmation; one told by this process is known
without asking the database, one told elsewhere is found there, marked only when no routed
message waits for it here."""

import asyncio

from stadtmelder_notify.core.confirmations import Confirmations
from stadtmelder_shared.event_values import Reporter
from tests.fakes import InMemoryChannelStore, InMemoryFollowerStore

REPORT = "ABCDE-12345"
ANNA = Reporter(email="anna@example.org", language="de")


class CountedFollowers(InMemoryFollowerStore):
    def __init__(self) -> None:
        super().__init__()
        self.looks = 0

    async def is_confirmed(self, report_id: str, email: str) -> bool:
        self.looks += 1
        return await super().is_confirmed(report_id, email)


async def test_a_confirmation_told_here_wakes_the_waiting_routed_message_without_a_look() -> None:
    followers = CountedFollowers()
    confirmations = Confirmations(followers, InMemoryChannelStore(), wait_s=5.0)
    waiting = asyncio.create_task(confirmations.wait(REPORT, ANNA, just_looked=True))
    await asyncio.sleep(0.01)
    assert not waiting.done()

    await confirmations.mark(REPORT, ANNA)

    assert await asyncio.wait_for(waiting, 1.0) is True
    assert followers.looks == 0
    # The routed message was here: no other replica waits for a mark in the database.
    assert not await followers.is_confirmed(REPORT, "anna@example.org")


async def test_a_confirmation_nobody_waits_for_here_is_marked_for_other_replicas() -> None:
    followers = CountedFollowers()
    confirmations = Confirmations(followers, InMemoryChannelStore(), wait_s=5.0)

    await confirmations.mark(REPORT, ANNA)

    assert await followers.is_confirmed(REPORT, "anna@example.org")


async def test_a_report_told_here_before_needs_no_wait_and_no_look() -> None:
    followers = CountedFollowers()
    confirmations = Confirmations(followers, InMemoryChannelStore(), wait_s=5.0)
    await confirmations.mark(REPORT, ANNA)

    assert await confirmations.wait(REPORT, ANNA) is False
    assert followers.looks == 0


async def test_a_confirmation_told_by_another_replica_is_found_in_the_database() -> None:
    followers = CountedFollowers()
    elsewhere = Confirmations(followers, InMemoryChannelStore(), wait_s=5.0)
    here = Confirmations(followers, InMemoryChannelStore(), wait_s=5.0)
    await elsewhere.mark(REPORT, ANNA)

    assert await here.wait(REPORT, ANNA) is False
    assert followers.looks == 1
