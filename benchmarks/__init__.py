"""Benchmarks: chainrule against micrograd 0.1.0 and a hand-written float floor.

Run with `make bench` (or `python -m benchmarks`). Never part of `make test`: speed is
measured here, never asserted in unit tests.
"""
