"""Trucks' rounds from the depot through the containers to empty: a capacitated vehicle
routing problem, solved by OR-Tools within a time limit."""

from collections.abc import Sequence
from dataclasses import dataclass
from itertools import pairwise
from typing import Any, NamedTuple

from stadtmelder_fleet.containers.domain import Container, PlanningError
from stadtmelder_shared.event_values import Location
from stadtmelder_shared.geo import distance_m

# Far above any round's metres: the solver first saves a truck, then kilometres.
TRUCK_FIXED_COST_M = 1_000_000
SEARCH_S_BASE = 0.2
SEARCH_S_PER_STOP = 0.01


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
    """Whole metres between every two places, straight line on the sphere (no street network)."""
    matrix = [[0] * len(places) for _ in places]
    for i, a in enumerate(places):
        for j in range(i + 1, len(places)):
            matrix[i][j] = matrix[j][i] = round(distance_m(a, places[j]))
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


def build_routes(
    depot: Location,
    stops: Sequence[Stop],
    capacity_l: int,
    time_limit_s: float,
    matrix: Sequence[Sequence[int]] | None = None,
) -> list[Route]:
    """Rounds that visit every stop once, start and end at the depot, and never carry more than
    `capacity_l`; as few trucks as possible first, then as few metres. `matrix`, if given, is
    the distance_matrix of the depot and the stops, in that order."""
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
    parameters.time_limit.FromMilliseconds(int(search_seconds(len(stops), time_limit_s) * 1000))
    model.CloseModelWithParameters(parameters)
    initial = model.ReadAssignmentFromRoutes(
        [[manager.NodeToIndex(node) for node in nodes] for nodes in start], True
    )
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
