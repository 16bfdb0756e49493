"""Known works (the Baustellenkataster) between reports, which keeps the register, and routing,
which marks reports placed inside them: the event announcing a works' latest state, and the
index both use to find the current or planned works at a place.

Reports publishes `WorksChanged` on `works.changed` whenever works are imported, entered,
edited or withdrawn, keyed by the works (`report_id` `works-<id>`); the topic is compacted, so
a new consumer reads every works' latest state from its start. Consumers keep the highest
`revision` per works.
"""

from collections.abc import Iterable
from datetime import date
from typing import Any, ClassVar, Literal

from pydantic import Field
from shapely import STRtree, points
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

from stadtmelder_shared.event_envelope import Event
from stadtmelder_shared.event_values import Location, WorksRef

Phase = Literal["planned", "current", "past"]


class WorksChanged(Event):
    """The whole current state of one works; `withdrawn` when staff removed it."""

    type: ClassVar[str] = "org.stadtmelder.works.changed"

    works_id: str
    revision: int = Field(ge=1, description="Grows with every change of these works.")
    title: str = Field(description="What is done, e.g. Kanalsanierung.")
    description: str = ""
    operator: str = Field(description="Who does it: the operator or company.")
    reference: str | None = Field(None, description="The operator's own file number.")
    starts_on: date
    ends_on: date
    outline: dict[str, Any] = Field(
        description="A GeoJSON Polygon or MultiPolygon (WGS 84) of the works' area."
    )
    withdrawn: bool = False

    def ref(self) -> WorksRef:
        shown = self.model_dump(include={"title", "operator", "starts_on", "ends_on"})
        return WorksRef(id=self.works_id, **shown)


def works_key(works_id: str) -> str:
    """The event's report_id and Kafka key for one works."""
    return f"works-{works_id}"


def phase_on(starts_on: date, ends_on: date, day: date) -> Phase:
    """Whether works are still to come, under way or over on `day` (both ends included)."""
    if day < starts_on:
        return "planned"
    return "current" if day <= ends_on else "past"


class WorksIndex:
    """Outlines of works in an STRtree: which current or planned works hold a place."""

    def __init__(self, works: Iterable[tuple[WorksRef, BaseGeometry]]) -> None:
        self._works = sorted(works, key=lambda pair: (pair[0].starts_on, pair[0].id))
        self._tree = STRtree([outline for _, outline in self._works])

    @classmethod
    def of_events(cls, events: Iterable[WorksChanged]) -> "WorksIndex":
        return cls((e.ref(), shape(e.outline)) for e in events if not e.withdrawn)

    def __len__(self) -> int:
        return len(self._works)

    def at(self, location: Location, day: date) -> list[WorksRef]:
        """The works holding the place that are under way or still to come on `day`,
        soonest first; past works no longer say anything about the street."""
        if not self._works:
            return []
        place = points(location.lon, location.lat)
        hits = sorted(int(i) for i in self._tree.query(place, predicate="intersects"))
        refs = (self._works[i][0] for i in hits)
        return [ref for ref in refs if phase_on(ref.starts_on, ref.ends_on, day) != "past"]
