"""Automatic reports from the fleet's sensors: road damage its vehicles found becomes a report,
or evidence on a citizen's report nearby; a repaired piece closes its automatic report."""

from stadtmelder_reports.sensor_reports.wiring import register

__all__ = ["register"]
