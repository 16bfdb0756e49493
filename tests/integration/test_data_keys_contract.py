"""The data keys' contract, held by the in-memory fake and by the MongoDB adapter on FerretDB."""

import asyncio
from typing import Any

import pytest

from stadtmelder_shared.data_keys import COLLECTION, MongoDataKeys
from stadtmelder_shared.sealing import KEY_BYTES
from tests.data_key_fakes import InMemoryDataKeys

pytestmark = pytest.mark.integration


@pytest.fixture
def keys(database: Any) -> Any:
    return InMemoryDataKeys() if database is None else MongoDataKeys(database[COLLECTION])


async def test_a_created_key_is_found_and_created_once(keys: Any) -> None:
    key = await keys.create("R1")

    assert len(key) == KEY_BYTES
    assert await keys.find("R1") == key
    assert await keys.create("R1") == key, "a second create returns the existing key"
    assert await keys.find("R2") is None


async def test_concurrent_creates_agree_on_one_key(keys: Any) -> None:
    made = await asyncio.gather(*(keys.create("alert:A1") for _ in range(5)))

    assert len(set(made)) == 1
    assert await keys.find("alert:A1") == made[0]


async def test_a_destroyed_key_is_gone_for_good_and_only_that_one(keys: Any) -> None:
    await keys.create("support:R1:abc")
    kept = await keys.create("R1")

    await keys.destroy("support:R1:abc")
    await keys.destroy("support:R1:abc")  # idempotent
    await keys.destroy("never-made")

    assert await keys.find("support:R1:abc") is None
    assert await keys.find("R1") == kept
    fresh = await keys.create("support:R1:abc")
    assert len(fresh) == KEY_BYTES
