"""Stadtmelder fleet: waste trucks as sensors."""
