"""Notify asks the key store once for a report's several sealed fields, and never uses a data key
again once the erasure of someone's contact data was handled."""

import asyncio

from stadtmelder_notify.core.erasure import NotifyErasure
from stadtmelder_notify.fresh import Fresh
from stadtmelder_notify.remembered_keys import RememberedKeys
from stadtmelder_shared.citizen_events import ContactDataErased
from stadtmelder_shared.contacts import Contacts, seal_person
from stadtmelder_shared.event_values import Reporter
from tests.alert_fakes import InMemoryDigestQueue, InMemorySubscriptionStore
from tests.data_key_fakes import InMemoryDataKeys
from tests.fakes import InMemoryChannelStore, InMemoryFollowerStore
from tests.unit.test_notify_erasure import WaitingMails

REPORT = "ABCDE-12345"
ANNA = Reporter(email="anna@example.org", name="Anna", language="de")


class CountedKeys(InMemoryDataKeys):
    def __init__(self) -> None:
        super().__init__()
        self.finds = 0
        # Set, a find waits for it: an erasure can be handled while the key is on its way.
        self.hold: asyncio.Event | None = None

    async def find(self, key_id: str) -> bytes | None:
        self.finds += 1
        found = self.keys.get(key_id)
        if self.hold is not None:
            await self.hold.wait()
        return found


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def erasure_forgetting(keys: RememberedKeys) -> NotifyErasure:
    return NotifyErasure(
        InMemoryFollowerStore(),
        InMemoryChannelStore(),
        WaitingMails(),
        InMemorySubscriptionStore(),
        InMemoryDigestQueue(),
        keys,
    )


def erased() -> ContactDataErased:
    return ContactDataErased(report_id=REPORT, jurisdiction="duisburg", subject="reporter")


async def test_a_reports_sealed_fields_ask_the_key_store_once() -> None:
    store = CountedKeys()
    key = await store.create(REPORT)
    contacts = Contacts(RememberedKeys(store))
    sealed = seal_person(key, REPORT, ANNA)

    assert await contacts.open_reporter(sealed) == ANNA  # the submission
    assert await contacts.open_reporter(sealed) == ANNA  # its routing, moments later

    assert store.finds == 1


async def test_after_an_erasure_was_handled_the_destroyed_key_opens_nothing() -> None:
    store = CountedKeys()
    key = await store.create(REPORT)
    keys = RememberedKeys(store)
    contacts = Contacts(keys)
    sealed = seal_person(key, REPORT, ANNA)
    assert await contacts.open_reporter(sealed) == ANNA

    await store.destroy(REPORT)  # the reports service, before it announces the erasure
    await erasure_forgetting(keys).erase(erased())

    assert await contacts.open_reporter(sealed) is None


async def test_a_key_read_before_the_erasure_was_handled_is_not_remembered() -> None:
    store = CountedKeys()
    await store.create(REPORT)
    keys = RememberedKeys(store)
    store.hold = asyncio.Event()
    reading = asyncio.create_task(keys.find(REPORT))
    await asyncio.sleep(0)  # the read is on its way to the key store

    await store.destroy(REPORT)
    await erasure_forgetting(keys).erase(erased())
    store.hold.set()
    await reading  # it found the key just before it went
    store.hold = None

    assert await keys.find(REPORT) is None
    assert store.finds == 2


async def test_a_key_that_was_not_found_is_asked_for_again() -> None:
    store = CountedKeys()
    keys = RememberedKeys(store)
    assert await keys.find(REPORT) is None
    await store.create(REPORT)

    assert await keys.find(REPORT) is not None


async def test_remembered_keys_expire_and_leave_memory() -> None:
    store = CountedKeys()
    await store.create(REPORT)
    clock = Clock()
    memory = Fresh[bytes](10.0, clock=clock)
    keys = RememberedKeys(store, memory)
    await keys.find(REPORT)
    await keys.find(REPORT)
    assert store.finds == 1

    clock.now = 10.5

    assert len(memory) == 0
    await keys.find(REPORT)
    assert store.finds == 2


def test_memory_keeps_the_newest_entries_only() -> None:
    memory = Fresh[int](60.0, max_entries=2)
    for number, key in enumerate(["a", "b", "c"]):
        memory.put(key, number)

    assert [memory.get(key) for key in ["a", "b", "c"]] == [None, 1, 2]
