"""The report itself: its domain, use cases, repository, outbox relay and Kafka consumers."""
