"""Containers: fill forecasts and demand-based emptying plans for the waste trucks.

Nothing is imported here: the route solver's child process (solving.py) imports the planning
alone, not the service's clients, and starts in a fraction of the time."""
