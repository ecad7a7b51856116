"""Benchmark harness for Sifa: same-run ratios per shared/reference/scale.md §7.1 (see run.py)."""
