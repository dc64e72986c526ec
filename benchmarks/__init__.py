"""Benchmarks: `python -m benchmarks [--only NAME ...]` prints a table and writes results.json."""
