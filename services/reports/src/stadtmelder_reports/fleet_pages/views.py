"""What the fleet pages show of what fleet announced: an emptying plan's rounds and saving, the
road layer's condition classes, and both as the shapes the map script draws."""

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from babel.numbers import format_decimal

from stadtmelder_reports.web.texts import Words
from stadtmelder_shared.road_conditions import RoadPieceCondition
from stadtmelder_shared.translations import N_

# The classes from good to very poor, as the legend lists them, with a colour scale that
# stays apart for the common colour blindnesses (ColorBrewer's RdYlBu, darkened).
CONDITION_COLOURS = {
    "good": "#2c7bb6",
    "fair": "#74add1",
    "poor": "#f46d43",
    "very_poor": "#a50026",
    "unknown": "#767676",
}
# One colour per round, told apart on the map and in the list (each at least 4.5:1 on white).
ROUTE_COLOURS = ("#00468c", "#b3261e", "#1d6b35", "#6a3d9a", "#8a4b00", "#00656e", "#ad1457")
SEVERITY = ("very_poor", "poor", "fair", "good", "unknown")
CONDITION_KEYS = (
    N_("road_good"),
    N_("road_fair"),
    N_("road_poor"),
    N_("road_very_poor"),
    N_("road_unknown"),
    N_("road_means_good"),
    N_("road_means_fair"),
    N_("road_means_poor"),
    N_("road_means_very_poor"),
    N_("road_means_unknown"),
    N_("road_pieces_count"),
)
CONTAINER_TYPE_KEYS = (
    N_("container_glass"),
    N_("container_paper"),
    N_("container_packaging"),
    N_("container_residual"),
    N_("container_organic"),
    N_("container_underground"),
    N_("container_semi-underground"),
    N_("container_other"),
)
# What staff see of a piece beyond its class, by the names RoadPiece and the event share.
EVIDENCE = {"passes", "vehicles", "median_iri", "p90_iri", "last_pass_at", "reported"}
# The staff list shows the pieces most in need first; the map shows them all.
LISTED_PIECES = 200
Point = tuple[float, float]


@dataclass(frozen=True)
class PlannedStop:
    """A container on a round, at its place in the driving order."""

    # None: the container never reported, so it is emptied without a forecast.
    expected_fill_percent: float | None
    full_at: datetime | None
    order: int
    container_id: str
    type: str
    lat: float
    lon: float


@dataclass(frozen=True)
class PlannedRoute:
    """One truck's round, with the colour the map and the list give it."""

    number: int
    colour: str
    distance_km: float
    load_l: int
    stops: tuple[PlannedStop, ...]


@dataclass(frozen=True)
class PlanView:
    """A district's plan for a day, and the fixed round it is measured against."""

    district: str
    day: date
    emptyings: int
    distance_km: float
    all_emptyings: int
    all_distance_km: float
    routes: tuple[PlannedRoute, ...]
    depot: Point | None

    @property
    def saved_emptyings(self) -> int:
        return self.all_emptyings - self.emptyings

    @property
    def saved_distance_km(self) -> float:
        return round(self.all_distance_km - self.distance_km, 2)


def plan_view(body: Mapping[str, Any]) -> PlanView:
    """Fleet's plan JSON as the page's objects; KeyError or TypeError if it is not one."""
    depot = body.get("depot")
    against = body["saved"]["against"]
    return PlanView(
        district=str(body["district"]),
        day=date.fromisoformat(body["date"]),
        emptyings=int(body["emptyings"]),
        distance_km=float(body["distance_km"]),
        all_emptyings=int(against["emptyings"]),
        all_distance_km=float(against["distance_km"]),
        routes=tuple(
            PlannedRoute(
                number=int(route["route"]),
                colour=ROUTE_COLOURS[(n - 1) % len(ROUTE_COLOURS)],
                distance_km=float(route["distance_km"]),
                load_l=int(route["load_l"]),
                stops=tuple(_stop(order, stop) for order, stop in enumerate(route["stops"], 1)),
            )
            for n, route in enumerate(body["routes"], 1)
        ),
        depot=(float(depot["lat"]), float(depot["lon"])) if depot else None,
    )


def _stop(order: int, stop: Mapping[str, Any]) -> PlannedStop:
    fill, full_at = stop.get("expected_fill_percent"), stop.get("full_at")
    return PlannedStop(
        order=order,
        container_id=str(stop["container_id"]),
        type=str(stop.get("type") or ""),
        expected_fill_percent=None if fill is None else float(fill),
        full_at=datetime.fromisoformat(full_at) if full_at else None,
        lat=float(stop["lat"]),
        lon=float(stop["lon"]),
    )


def number(language: str, value: float | None, digits: int = 1) -> str:
    """A figure as the page's language writes it (12,5 in German), a dash when unknown."""
    if value is None:
        return "–"
    pattern = "#,##0." + "0" * digits if digits else "#,##0"
    return str(format_decimal(value, format=pattern, locale=language))


def container_type(t: Words, kind: str) -> str:
    """The type's name in the page's language; a type fleet added since, as fleet names it."""
    name = t.composed("container_", kind)
    return kind if name == f"container_{kind}" else name


def plan_map(plan: PlanView, t: Words) -> dict[str, Any]:
    """Each round as a line from the depot through its stops in order and back, and its stops
    as numbered points, in the round's colour."""
    lines, points = [], []
    for route in plan.routes:
        stops = [(s.lat, s.lon) for s in route.stops]
        ends = [plan.depot] if plan.depot else []
        title = t("plan_route", number=route.number)
        lines.append({"colour": route.colour, "points": [*ends, *stops, *ends], "title": title})
        for stop in route.stops:
            points.append(
                {
                    "lat": stop.lat,
                    "lon": stop.lon,
                    "colour": route.colour,
                    "label": str(stop.order),
                    "title": f"{title}, {stop.order}: {stop.container_id} "
                    f"({container_type(t, stop.type)})",
                }
            )
    depot = None
    if plan.depot:
        depot = {"lat": plan.depot[0], "lon": plan.depot[1], "title": t("plan_depot")}
    return {"lines": lines, "points": points, "depot": depot, "areas": []}


@dataclass(frozen=True)
class RoadPiece:
    """A road piece as its hexagon (lat, lon corners) with its class and evidence."""

    piece_id: str
    condition: str
    ring: tuple[Point, ...]
    # The evidence, in the staff layer only.
    passes: int | None = None
    vehicles: int | None = None
    median_iri: float | None = None
    p90_iri: float | None = None
    last_pass_at: datetime | None = None
    reported: bool = False

    @property
    def colour(self) -> str:
        return CONDITION_COLOURS.get(self.condition, CONDITION_COLOURS["unknown"])

    @property
    def centre(self) -> Point:
        corners = self.ring[:-1] or self.ring
        return (
            round(sum(p[0] for p in corners) / len(corners), 6),
            round(sum(p[1] for p in corners) / len(corners), 6),
        )


@dataclass(frozen=True)
class ConditionCount:
    """A line of the legend."""

    condition: str
    colour: str
    count: int


def condition_counts(pieces: Sequence[RoadPiece]) -> list[ConditionCount]:
    """The legend: every class with its colour and how many pieces have it."""
    found = Counter(piece.condition for piece in pieces)
    return [ConditionCount(c, colour, found[c]) for c, colour in CONDITION_COLOURS.items()]


def worst_first(pieces: Sequence[RoadPiece], limit: int = LISTED_PIECES) -> list[RoadPiece]:
    """The pieces most in need of repair first, roughest first within a class; unknown last."""
    ranked = sorted(
        pieces,
        key=lambda p: (
            SEVERITY.index(p.condition) if p.condition in SEVERITY else len(SEVERITY),
            -(p.p90_iri or 0.0),
        ),
    )
    return ranked[:limit]


def road_map(pieces: Sequence[RoadPiece], t: Words) -> dict[str, Any]:
    """Each piece as its hexagon in its class's colour, titled with the class (and for staff
    with its evidence)."""
    areas = []
    for piece in pieces:
        title = t.composed("road_", piece.condition)
        if piece.passes is not None:
            title += " – " + t(
                "road_evidence",
                passes=piece.passes,
                vehicles=piece.vehicles,
                median=piece.median_iri,
                p90=piece.p90_iri,
            )
        areas.append({"colour": piece.colour, "ring": piece.ring, "title": title})
    return {"lines": [], "points": [], "depot": None, "areas": areas}


def road_piece(found: RoadPieceCondition, evidence: bool) -> RoadPiece:
    """A kept piece as the page draws it; its evidence only for staff."""
    ring = tuple((corner.lat, corner.lon) for corner in found.boundary)
    figures = found.model_dump(include=EVIDENCE) if evidence else {}
    return RoadPiece(found.piece_id, found.condition, (*ring, ring[0]) if ring else (), **figures)
