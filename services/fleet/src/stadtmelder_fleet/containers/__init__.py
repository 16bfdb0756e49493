"""Containers: fill forecasts and demand-based emptying plans for the waste trucks."""
