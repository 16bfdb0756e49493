"""The command-line options that seed a simulated world, shared by the simulator and its bench."""

import argparse
from pathlib import Path

from stadtmelder_fleet.simulator.city import Projection, load_districts
from stadtmelder_fleet.simulator.world import World, WorldShape, build_world


def world_parser(description: str) -> argparse.ArgumentParser:
    """The options that seed the world, shared with bench/fleet_simulation.py."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--osm-dir", type=Path, required=True, help="Duisburg's OSM outlines")
    parser.add_argument("--trucks", type=int, default=10)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--spots", type=int, default=3, help="defect spots per district")
    parser.add_argument("--containers", type=int, default=40, help="containers per district")
    return parser


def world_of(options: argparse.Namespace) -> World:
    projection = Projection()
    shape = WorldShape(
        seed=options.seed,
        trucks=options.trucks,
        per_district=(WorldShape.per_district[0], options.spots, options.containers),
    )
    return build_world(load_districts(options.osm_dir, projection), shape, projection)
