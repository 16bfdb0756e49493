"""An in-memory container store that keeps the same contract as the Mongo adapter."""

from collections.abc import Sequence

from stadtmelder_fleet.containers.domain import Container, FillReading
from stadtmelder_fleet.containers.store import KEPT_READINGS


class InMemoryContainerStore:
    def __init__(self) -> None:
        self._containers: dict[str, Container] = {}
        self._readings: dict[str, list[FillReading]] = {}

    async def save_containers(self, containers: Sequence[Container]) -> None:
        self._containers.update((c.id, c) for c in containers)

    async def containers(self) -> list[Container]:
        return sorted(self._containers.values(), key=lambda c: c.id)

    async def container(self, container_id: str) -> Container | None:
        return self._containers.get(container_id)

    async def add_reading(self, reading: FillReading) -> None:
        kept = self._readings.setdefault(reading.container_id, [])
        if reading not in kept:
            kept.append(reading)
            kept.sort(key=lambda r: (r.measured_at, r.source))
            del kept[:-KEPT_READINGS]

    async def readings(self, container_ids: Sequence[str]) -> dict[str, list[FillReading]]:
        return {cid: list(self._readings[cid]) for cid in container_ids if cid in self._readings}
