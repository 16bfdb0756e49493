"""Playgrounds as places: which one a report belongs to, the state people see, and ratings."""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal, NamedTuple

import numpy as np
import shapely
from shapely import STRtree, box
from shapely.geometry.base import BaseGeometry

from stadtmelder_reports.core.domain import Report
from stadtmelder_shared.event_values import CategoryRef, Location, PlaygroundRef
from stadtmelder_shared.geo import EARTH_RADIUS_M, degree_box

# A report this close to a playground's outline (or to its point) belongs to it.
SNAP_DISTANCE_M = 50.0
PLAYGROUND_GROUP = "playgrounds"
# What "recently fixed" means on the pages.
RECENTLY_FIXED = timedelta(days=30)
RATING_COMMENT_MAX_LENGTH = 500

PlaygroundState = Literal["no_known_defects", "defects_open", "closed"]
CommentState = Literal["none", "pending", "approved", "rejected"]


@dataclass(frozen=True)
class Playground:
    """One playground of the register; `closed_for_repair` is staff's, never an import's."""

    id: str
    name: str | None
    geometry: BaseGeometry  # a Point, Polygon or MultiPolygon in longitude, latitude
    operator: str | None = None
    closed_for_repair: bool = False

    @property
    def ref(self) -> PlaygroundRef:
        return PlaygroundRef(id=self.id, name=self.name)

    @property
    def geojson(self) -> dict[str, Any]:
        geometry: dict[str, Any] = json.loads(shapely.to_geojson(self.geometry))
        return geometry

    @property
    def centre(self) -> Location:
        """A point inside the outline (a centroid can lie outside an L-shaped one)."""
        point = self.geometry.representative_point()
        return Location(lat=point.y, lon=point.x)


def belongs_to_playgrounds(category: CategoryRef) -> bool:
    """Only a playground report joins a playground: a dark street lamp on the pavement beside
    it is the lamp's defect, not the playground's."""
    return category.group == PLAYGROUND_GROUP


def state_of(playground: Playground, open_defects: int) -> PlaygroundState:
    if playground.closed_for_repair:
        return "closed"
    return "defects_open" if open_defects else "no_known_defects"


def recently_fixed(report: Report, now: datetime) -> bool:
    return report.status == "resolved" and report.updated_at >= now - RECENTLY_FIXED


class PlaygroundMap:
    """The playgrounds in an STRtree, to find the one a place belongs to among hundreds."""

    def __init__(self, playgrounds: Iterable[Playground]) -> None:
        self.playgrounds = sorted(playgrounds, key=lambda playground: playground.id)
        geometries = np.array([p.geometry for p in self.playgrounds], dtype=object)
        self._tree = STRtree(geometries)

    def __len__(self) -> int:
        return len(self.playgrounds)

    def nearest(self, location: Location, within_m: float = SNAP_DISTANCE_M) -> Playground | None:
        """The playground nearest the place, at most `within_m` metres from its outline or
        point; on equal distances the lower id, so the answer never depends on file order."""
        candidates = self._tree.query(box(*degree_box(location, within_m)))
        measured = [
            (metres_between(location, self.playgrounds[i].geometry), self.playgrounds[i].id, i)
            for i in candidates
        ]
        within = [entry for entry in measured if entry[0] <= within_m]
        return self.playgrounds[min(within)[2]] if within else None


def metres_between(location: Location, geometry: BaseGeometry) -> float:
    """Metres from the place to the nearest part of the geometry (0 inside an outline), measured
    in a flat plane laid on the earth at the place: exact enough within a city."""
    scale_x = np.radians(1.0) * EARTH_RADIUS_M * np.cos(np.radians(location.lat))
    scale_y = np.radians(1.0) * EARTH_RADIUS_M

    def to_metres(coordinates: np.ndarray) -> np.ndarray:
        shifted = coordinates - np.array([location.lon, location.lat])
        return np.asarray(shifted * np.array([scale_x, scale_y]))

    flat = shapely.transform(geometry, to_metres)
    return float(shapely.distance(flat, shapely.Point(0.0, 0.0)))


# --- ratings ------------------------------------------------------------------------------------


class InvalidRating(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        self.field, self.reason = field, reason
        super().__init__(f"{field}: {reason}")


@dataclass(frozen=True)
class Rating:
    """Anyone's 1-5 for a playground as a whole; a comment is public only once a moderator
    approved it, as it may name people or say anything else."""

    id: str
    playground_id: str
    stars: int
    comment: str | None
    at: datetime
    comment_state: CommentState = "none"

    @property
    def public_comment(self) -> str | None:
        return self.comment if self.comment_state == "approved" else None


def new_rating(
    rating_id: str, playground_id: str, stars: int | str | None, comment: str | None, now: datetime
) -> Rating:
    """The rating as asked, or InvalidRating saying what to change."""
    try:
        number = int(str(stars).strip())
    except ValueError:
        number = 0
    if not 1 <= number <= 5:
        raise InvalidRating("rating", "Choose from 1 (poor) to 5 (very good).")
    text = (comment or "").strip() or None
    if text is not None and len(text) > RATING_COMMENT_MAX_LENGTH:
        raise InvalidRating(
            "comment", f"Please shorten the comment to {RATING_COMMENT_MAX_LENGTH} characters."
        )
    state: CommentState = "pending" if text else "none"
    return Rating(rating_id, playground_id, number, text, now, state)


class RatingSummary(NamedTuple):
    """How many rated a playground and their stars added up: the database sums them."""

    ratings: int
    stars: int


def average_stars(summary: RatingSummary) -> float | None:
    return round(summary.stars / summary.ratings, 1) if summary.ratings else None
