"""Runs the routing service: `python -m stadtmelder_routing`."""

from stadtmelder_routing.app import create_app
from stadtmelder_routing.settings import RoutingSettings
from stadtmelder_shared.serve import run_service


def main() -> None:
    run_service("routing", RoutingSettings(), create_app)


if __name__ == "__main__":
    main()
