"""Benchmarks: ``pytest tests/benchmarks --benchmark-only -p no:xdist``."""
