"""Runs the fleet service: `python -m stadtmelder_fleet`."""

from stadtmelder_fleet.app import create_app
from stadtmelder_fleet.settings import FleetSettings
from stadtmelder_shared.serve import run_service


def main() -> None:
    run_service("fleet", FleetSettings(), create_app)


if __name__ == "__main__":
    main()
