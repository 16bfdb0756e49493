"""Containers: fill forecasts and demand-based emptying plans for the waste trucks."""

from stadtmelder_fleet.containers.register import register

__all__ = ["register"]
