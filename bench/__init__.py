"""Benchmarks of the database layer (run with ``python -m bench.<name>``; see bench/README.md)."""
