"""Benchmarks and fault drills of the local system: `make bench`, `make chaos`."""
