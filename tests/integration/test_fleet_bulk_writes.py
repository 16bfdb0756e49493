"""Many road pieces and containers are replaced on FerretDB in one go: a flush under the
simulator's load and a re-import of its containers each replace hundreds of documents, which
FerretDB 1.24 hangs on when they arrive in one command."""

import asyncio

import pytest

from stadtmelder_fleet.containers.domain import Container
from stadtmelder_fleet.containers.store import MongoContainerStore
from stadtmelder_fleet.road.domain import Piece
from stadtmelder_fleet.road.store import MongoPieceStore
from stadtmelder_shared.event_values import Location
from tests.conftest import LocalSystem
from tests.integration.conftest import fresh_database

pytestmark = pytest.mark.integration
MANY = 250


async def test_hundreds_of_pieces_saved_again_are_replaced_without_hanging(
    infrastructure: LocalSystem,
) -> None:
    async with fresh_database(infrastructure) as database:
        store = MongoPieceStore(database)
        pieces = [Piece(f"piece-{n}", 51.43, 6.76) for n in range(MANY)]
        await store.save(pieces)
        for piece in pieces:
            piece.reported_passes = 3
        await asyncio.wait_for(store.save(pieces), timeout=30)
        found = await store.load("piece-249")
        assert found is not None
        assert found.reported_passes == 3


async def test_a_re_import_of_hundreds_of_containers_completes(
    infrastructure: LocalSystem,
) -> None:
    async with fresh_database(infrastructure) as database:
        store = MongoContainerStore(database)
        place = Location(lat=51.43, lon=6.76)
        containers = [
            Container(f"c-{n}", place, "glass", 3000, "district-500") for n in range(MANY)
        ]
        await store.save_containers(containers)
        moved = [Container(c.id, place, "paper", 2500, c.district) for c in containers]
        await asyncio.wait_for(store.save_containers(moved), timeout=30)
        assert {c.type for c in await store.containers()} == {"paper"}
