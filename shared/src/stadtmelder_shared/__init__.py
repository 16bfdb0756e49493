"""Stadtmelder's shared contract: events, topics, Kafka wiring and common settings."""
