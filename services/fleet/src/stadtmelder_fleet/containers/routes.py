"""Trucks' rounds from the depot through the containers to empty: a capacitated vehicle
routing problem, solved by OR-Tools within a time limit."""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from stadtmelder_fleet.containers.domain import Container, PlanningError
from stadtmelder_shared.events import Location
from stadtmelder_shared.geo import distance_m

# Far above any round's metres: the solver first saves a truck, then kilometres.
TRUCK_FIXED_COST_M = 1_000_000


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


def trucks_needed(loads: Sequence[int], capacity_l: int) -> int:
    """Trucks enough for every load (first fit, largest first): the solver may use fewer."""
    free: list[int] = []
    for load in sorted(loads, reverse=True):
        slot = next((i for i, room in enumerate(free) if room >= load), None)
        if slot is None:
            free.append(capacity_l - load)
        else:
            free[slot] -= load
    return len(free)


def build_routes(
    depot: Location, stops: Sequence[Stop], capacity_l: int, time_limit_s: float
) -> list[Route]:
    """Rounds that visit every stop once, start and end at the depot, and never carry more than
    `capacity_l`; as few trucks as possible first, then as few metres."""
    if not stops:
        return []
    too_big = [stop.container.id for stop in stops if stop.load_l > capacity_l]
    if too_big:
        raise PlanningError(f"more than a truck holds in container(s) {', '.join(too_big[:5])}")
    matrix = distance_matrix([depot, *(stop.container.location for stop in stops)])
    trucks = trucks_needed([stop.load_l for stop in stops], capacity_l)
    manager = pywrapcp.RoutingIndexManager(len(matrix), trucks, 0)
    model = pywrapcp.RoutingModel(manager)
    arc_cost = model.RegisterTransitMatrix(matrix)
    model.SetArcCostEvaluatorOfAllVehicles(arc_cost)
    model.SetFixedCostOfAllVehicles(TRUCK_FIXED_COST_M)
    demand = model.RegisterUnaryTransitVector([0, *(stop.load_l for stop in stops)])
    model.AddDimensionWithVehicleCapacity(demand, 0, [capacity_l] * trucks, True, "load")
    parameters = pywrapcp.DefaultRoutingSearchParameters()
    parameters.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    parameters.local_search_metaheuristic = (
        routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    )
    parameters.time_limit.FromMilliseconds(max(int(time_limit_s * 1000), 1))
    solution = model.SolveWithParameters(parameters)
    if solution is None:
        raise PlanningError("the solver found no rounds within its time limit")
    routes = []
    for truck in range(trucks):
        index = model.Start(truck)
        visited: list[Stop] = []
        metres = 0
        while not model.IsEnd(index):
            following = solution.Value(model.NextVar(index))
            metres += matrix[manager.IndexToNode(index)][manager.IndexToNode(following)]
            index = following
            if not model.IsEnd(index):
                visited.append(stops[manager.IndexToNode(index) - 1])
        if visited:
            routes.append(Route(tuple(visited), metres))
    return routes
