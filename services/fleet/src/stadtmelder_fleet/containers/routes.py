"""Trucks' rounds from the depot through the containers to empty: a capacitated vehicle
routing problem, solved by OR-Tools within a time limit."""

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple

from stadtmelder_fleet.containers.domain import Container, PlanningError
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.geo import haversine_m

# Far above any round's metres: the solver first saves a truck, then kilometres.
TRUCK_FIXED_COST_M = 1_000_000
SEARCH_S_BASE = 0.2
SEARCH_S_PER_STOP = 0.01
# What a plan needs after its searches: reading the rounds, handing them to the fleet process.
FINISH_S = 1.0
# A search this short still improves on the first rounds a little; they are always feasible.
MIN_SEARCH_S = 0.05


class Stop(NamedTuple):
    """A container on a round and what the truck takes from it."""

    container: Container
    load_l: int


@dataclass(frozen=True)
class Route:
    """One truck's round from the depot through its stops and back."""

    stops: tuple[Stop, ...]
    distance_m: int

    @property
    def load_l(self) -> int:
        return sum(stop.load_l for stop in self.stops)


def distance_matrix(places: Sequence[Location]) -> list[list[int]]:
    """Whole metres between every two places, straight line on the sphere (no street network):
    `distance_m`'s haversine, each place's radians and cosine taken once, not per pair."""
    lats = [math.radians(place.lat) for place in places]
    cosines = [math.cos(lat) for lat in lats]
    lons = [math.radians(place.lon) for place in places]
    matrix = [[0] * len(places) for _ in places]
    for i in range(len(places)):
        lat_i, cos_i, lon_i, row = lats[i], cosines[i], lons[i], matrix[i]
        for j in range(i + 1, len(places)):
            metres = haversine_m(lat_i, cos_i, lats[j], cosines[j], lons[j] - lon_i)
            row[j] = matrix[j][i] = round(metres)
    return matrix


def nearest_neighbour_rounds(
    matrix: Sequence[Sequence[int]], loads: Sequence[int], capacity_l: int
) -> list[list[int]]:
    """Rounds by the nearest stop that still fits, a new truck when none does: always feasible,
    and the solver's start, since its own first guess can miss on a tight capacity."""
    left = set(range(1, len(matrix)))
    rounds: list[list[int]] = []
    while left:
        here, room, stops = 0, capacity_l, []
        while fitting := [n for n in left if loads[n - 1] <= room]:
            here = min(fitting, key=lambda n: (matrix[here][n], n))
            stops.append(here)
            room -= loads[here - 1]
            left.remove(here)
        rounds.append(stops)
    return rounds


def search_seconds(stops: int, time_limit_s: float) -> float:
    """How long to search: guided local search never stops by itself, and a few dozen stops
    are done long before a limit meant for hundreds."""
    return max(min(time_limit_s, SEARCH_S_BASE + stops * SEARCH_S_PER_STOP), 0.001)


def search_limit(time_limit_s: float, solve_by: float | None, searches: int) -> float:
    """The time limit of the next of `searches` searches that must end by `solve_by`."""
    if solve_by is None:
        return time_limit_s
    left = solve_by - time.time() - FINISH_S
    return max(min(time_limit_s, left / searches), MIN_SEARCH_S)


def build_routes(
    depot: Location,
    stops: Sequence[Stop],
    capacity_l: int,
    time_limit_s: float,
    matrix: Sequence[Sequence[int]] | None = None,
    *,
    solve_by: float | None = None,
    searches: int = 1,
) -> list[Route]:
    """Rounds that visit every stop once, start and end at the depot, and never carry more than
    `capacity_l`; as few trucks as possible first, then as few metres. `matrix`, if given, is
    the distance_matrix of the depot and the stops, in that order; with `solve_by` (POSIX
    seconds) the search is this one's share of the time left for `searches` searches."""
    if not stops:
        return []
    too_big = [stop.container.id for stop in stops if stop.load_l > capacity_l]
    if too_big:
        raise PlanningError(f"more than a truck holds in container(s) {', '.join(too_big[:5])}")
    if matrix is None:
        matrix = distance_matrix([depot, *(stop.container.location for stop in stops)])
    loads = [stop.load_l for stop in stops]
    start = nearest_neighbour_rounds(matrix, loads, capacity_l)
    trucks = len(start)
    # Imported here, not at the top: the fleet process imports this module but plans only in a
    # child process (solving.py), so OR-Tools' 26 MB never join its memory.
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    manager = pywrapcp.RoutingIndexManager(len(matrix), trucks, 0)
    model = pywrapcp.RoutingModel(manager)
    arc_cost = model.RegisterTransitMatrix(matrix)
    model.SetArcCostEvaluatorOfAllVehicles(arc_cost)
    model.SetFixedCostOfAllVehicles(TRUCK_FIXED_COST_M)
    demand = model.RegisterUnaryTransitVector([0, *loads])
    model.AddDimensionWithVehicleCapacity(demand, 0, [capacity_l] * trucks, True, "load")
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    model.CloseModelWithParameters(parameters)
    initial = model.ReadAssignmentFromRoutes(
        [[manager.NodeToIndex(node) for node in nodes] for nodes in start], True
    )
    # Measured once the model is built: on a busy machine building it takes seconds too.
    limit = search_limit(time_limit_s, solve_by, searches)
    parameters.time_limit.FromMilliseconds(int(search_seconds(len(stops), limit) * 1000))
    # Past the time limit the solver answers with the best rounds it found, never with none.
    solution = model.SolveFromAssignmentWithParameters(initial, parameters) if initial else None
    rounds = start if solution is None else _rounds(model, manager, solution, trucks)
    return [
        Route(tuple(stops[n - 1] for n in nodes), _length(matrix, nodes))
        for nodes in rounds
        if nodes
    ]


def _rounds(model: Any, manager: Any, solution: Any, trucks: int) -> list[list[int]]:
    rounds = []
    for truck in range(trucks):
        nodes, index = [], solution.Value(model.NextVar(model.Start(truck)))
        while not model.IsEnd(index):
            nodes.append(manager.IndexToNode(index))
            index = solution.Value(model.NextVar(index))
        rounds.append(nodes)
    return rounds


def _length(matrix: Sequence[Sequence[int]], nodes: Sequence[int]) -> int:
    path = [0, *nodes, 0]
    return sum(matrix[a][b] for a, b in pairwise(path))
