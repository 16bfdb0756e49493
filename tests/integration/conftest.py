"""The contract tests' database: None for the in-memory fakes, else a fresh FerretDB database."""

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest
from pymongo import AsyncMongoClient

from tests.conftest import LocalSystem


@pytest.fixture(params=["fake", "mongo"])
async def database(request: pytest.FixtureRequest) -> AsyncIterator[Any]:
    """Each contract test runs twice: against its fake (None here) and against real FerretDB."""
    if request.param == "fake":
        yield None
        return
    async with fresh_database(request.getfixturevalue("infrastructure")) as database:
        yield database


@pytest.fixture
async def real_database(infrastructure: LocalSystem) -> AsyncIterator[Any]:
    async with fresh_database(infrastructure) as database:
        yield database


@contextlib.asynccontextmanager
async def fresh_database(system: LocalSystem) -> AsyncIterator[Any]:
    """A fresh database on the local FerretDB, dropped afterwards."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(system.mongodb_url, tz_aware=True)
    name = f"contract_{uuid.uuid4().hex[:8]}"
    try:
        yield client[name]
    finally:
        await client.drop_database(name)
        await client.close()
