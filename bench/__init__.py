"""Benchmarks: run by hand or in CI as reports (``python tasks.py bench``); they print numbers."""
