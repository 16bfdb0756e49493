"""A reporter's confirmation of receipt is marked in the database behind the sending: many
reports' marks in one command at the next flush, seen by another replica after it, and never
written back by a flush after the reporter's erasure."""

from typing import Any

import pytest
from pymongo import UpdateOne
from pymongo.errors import DuplicateKeyError

from stadtmelder_notify.core.store import MongoFollowerStore
from stadtmelder_shared.event_values import Reporter
from stadtmelder_shared.link_tokens import DEVELOPMENT_RECIPIENT_KEYS

Document = dict[str, Any]
ANNA = Reporter(email="anna@example.org", language="de")
REPORTS = [f"ABCDE-{n:05d}" for n in range(5)]


class CountedCollection:
    """What the followers store asks of its collection, kept in a dict, each command counted."""

    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}
        self.commands: list[str] = []

    async def find_one(self, where: Document, projection: Document | None = None) -> Document:
        self.commands.append("find")
        found = self.documents.get(where["_id"])
        return None if found is None else _copy(found)  # type: ignore[return-value]

    async def insert_one(self, document: Document) -> None:
        self.commands.append("insert")
        if document["_id"] in self.documents:
            raise DuplicateKeyError("taken")
        self.documents[document["_id"]] = _copy(document)

    async def update_one(self, where: Document, update: Document, upsert: bool = False) -> None:
        self.commands.append("update")
        self._apply(where, update)

    async def bulk_write(self, writes: list[UpdateOne], ordered: bool = True) -> None:
        self.commands.append("update")
        for write in writes:
            self._apply(dict(write._filter), dict(write._doc))  # type: ignore[arg-type]

    def _apply(self, where: Document, update: Document) -> None:
        document = self.documents.setdefault(where["_id"], {"_id": where["_id"]})
        for path, value in update.get("$set", {}).items():
            *parents, last = path.split(".")
            _inner(document, parents)[last] = value
        for path in update.get("$unset", {}):
            *parents, last = path.split(".")
            _inner(document, parents).pop(last, None)


def _inner(document: Document, parents: list[str]) -> Document:
    for name in parents:
        document = document.setdefault(name, {})
    return document


def _copy(document: Document) -> Document:
    return {k: _copy(v) if isinstance(v, dict) else v for k, v in document.items()}


def _stores() -> tuple[CountedCollection, MongoFollowerStore, MongoFollowerStore]:
    collection = CountedCollection()
    database: Any = {"report_followers": collection}
    here = MongoFollowerStore(database, DEVELOPMENT_RECIPIENT_KEYS)
    elsewhere = MongoFollowerStore(database, DEVELOPMENT_RECIPIENT_KEYS)
    return collection, here, elsewhere


async def test_many_reports_confirmations_reach_the_database_in_one_command() -> None:
    collection, here, elsewhere = _stores()
    for report_id in REPORTS:
        await here.add(report_id, ANNA, first=True)
    before = len(collection.commands)

    for report_id in REPORTS:
        await here.mark_confirmed(report_id, "anna@example.org")
        assert await here.is_confirmed(report_id, "anna@example.org")
    assert collection.commands[before:] == []  # nothing written per confirmation
    assert not await elsewhere.is_confirmed(REPORTS[0], "anna@example.org")

    await here.flush()

    assert collection.commands[before:] == ["find", "update"]  # elsewhere's look, one write
    for report_id in REPORTS:
        assert await elsewhere.is_confirmed(report_id, "anna@example.org")
    # The followers written before stay beside the marks.
    assert [f.email for f in await elsewhere.of(REPORTS[0])] == ["anna@example.org"]


async def test_a_flush_after_the_reporters_erasure_does_not_write_their_key_back() -> None:
    collection, here, elsewhere = _stores()
    await here.add(REPORTS[0], ANNA, first=True)
    await here.mark_confirmed(REPORTS[0], "anna@example.org")
    key = DEVELOPMENT_RECIPIENT_KEYS.of(REPORTS[0], "anna@example.org")

    assert await here.erase(REPORTS[0], key) == "anna@example.org"
    await here.flush()

    assert key not in collection.documents[REPORTS[0]].get("confirmed", {})
    assert not await here.is_confirmed(REPORTS[0], "anna@example.org")
    assert not await elsewhere.is_confirmed(REPORTS[0], "anna@example.org")


async def test_marks_a_failed_flush_could_not_write_go_with_the_next() -> None:
    collection, here, elsewhere = _stores()
    await here.add(REPORTS[0], ANNA, first=True)
    await here.mark_confirmed(REPORTS[0], "anna@example.org")
    working = collection.bulk_write

    async def away(writes: list[UpdateOne], ordered: bool = True) -> None:
        raise ConnectionError("the database is away")

    collection.bulk_write = away  # type: ignore[method-assign]
    with pytest.raises(ConnectionError):
        await here.flush()
    collection.bulk_write = working  # type: ignore[method-assign]
    assert await here.is_confirmed(REPORTS[0], "anna@example.org")

    await here.flush()

    assert await elsewhere.is_confirmed(REPORTS[0], "anna@example.org")
