"""Where containers and their recent fill readings are kept: a Protocol and its Mongo adapter."""

from collections.abc import Sequence
from datetime import UTC
from typing import Any, Protocol

from pymongo import ReplaceOne
from pymongo.asynchronous.database import AsyncDatabase

from stadtmelder_fleet.containers.domain import Container, FillReading
from stadtmelder_shared.bulk_writes import replace_in_batches
from stadtmelder_shared.event_values import Location

Document = dict[str, Any]
CONTAINERS = "containers"
FILL = "container_fill"
# Enough for the current cycle and a few before it, which give a just-emptied container its pace.
KEPT_READINGS = 96


class ContainerStore(Protocol):
    async def save_containers(self, containers: Sequence[Container]) -> None:
        """Insert or update the containers by id."""
        ...

    async def containers(self) -> list[Container]: ...

    async def container(self, container_id: str) -> Container | None: ...

    async def add_reading(self, reading: FillReading) -> None:
        """Keep the reading among the container's latest; the same one twice is kept once."""
        ...

    async def readings(self, container_ids: Sequence[str]) -> dict[str, list[FillReading]]:
        """The kept readings of each container that has any, oldest first."""
        ...


class MongoContainerStore:
    """One document per container and one with its latest readings.

    FerretDB 1.24 applies no update atomically, so a reading is added by reading the container's
    document and replacing it. Sensor readings are keyed by container id, so one consumer writes
    a container's readings; a citizen's report (keyed by report id) may race with one and lose a
    reading, which the sensor's next reading makes good.
    """

    def __init__(self, database: AsyncDatabase[Document]) -> None:
        self._containers = database[CONTAINERS]
        self._fill = database[FILL]

    async def save_containers(self, containers: Sequence[Container]) -> None:
        writes = [
            ReplaceOne({"_id": c.id}, _container_document(c), upsert=True) for c in containers
        ]
        await replace_in_batches(self._containers, writes)

    async def containers(self) -> list[Container]:
        return [_container(d) async for d in self._containers.find({}).sort("_id", 1)]

    async def container(self, container_id: str) -> Container | None:
        document = await self._containers.find_one({"_id": container_id})
        return None if document is None else _container(document)

    async def add_reading(self, reading: FillReading) -> None:
        document = await self._fill.find_one({"_id": reading.container_id})
        kept = [] if document is None else [_entry(e) for e in document["readings"]]
        entry = _reading_entry(reading)
        if entry in kept:
            return  # redelivered
        kept = sorted([*kept, entry], key=lambda e: (e["at"], e["source"]))[-KEPT_READINGS:]
        await self._fill.replace_one({"_id": reading.container_id}, {"readings": kept}, upsert=True)

    async def readings(self, container_ids: Sequence[str]) -> dict[str, list[FillReading]]:
        # `$in` on _id reads the whole collection on FerretDB 1.24 either way: one read of it.
        wanted = set(container_ids)
        found: dict[str, list[FillReading]] = {}
        async for document in self._fill.find({}):
            if document["_id"] in wanted:
                found[document["_id"]] = [
                    _reading(document["_id"], e) for e in document["readings"]
                ]
        return found


def _container_document(container: Container) -> Document:
    return {
        "lat": container.location.lat,
        "lon": container.location.lon,
        "type": container.type,
        "capacity_l": container.capacity_l,
        "district": container.district,
    }


def _container(document: Document) -> Container:
    return Container(
        document["_id"],
        Location(lat=document["lat"], lon=document["lon"]),
        document["type"],
        document["capacity_l"],
        document["district"],
    )


def _reading_entry(reading: FillReading) -> Document:
    return _entry(
        {"at": reading.measured_at, "fill": reading.fill_percent, "source": reading.source}
    )


def _entry(entry: Document) -> Document:
    """The entry as stored: naive UTC in whole milliseconds (all a BSON date holds), so a
    redelivered reading compares equal to the kept one whether or not the client is tz-aware."""
    at = entry["at"]
    if at.tzinfo is not None:
        at = at.astimezone(UTC).replace(tzinfo=None)
    at = at.replace(microsecond=at.microsecond // 1000 * 1000)
    return {"at": at, "fill": float(entry["fill"]), "source": entry["source"]}


def _reading(container_id: str, entry: Document) -> FillReading:
    return FillReading(
        container_id, entry["at"].replace(tzinfo=UTC), entry["fill"], entry["source"]
    )
