"""Simulated waste trucks and containers that publish sensor readings for local runs."""
