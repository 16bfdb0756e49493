"""Road condition from the vehicles' roughness readings: pieces, evidence, automatic reports."""

from stadtmelder_fleet.road.register import register

__all__ = ["register"]
