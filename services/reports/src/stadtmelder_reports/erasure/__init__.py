"""Erasure on request: people delete their contact data, by tracking link or mail link."""
