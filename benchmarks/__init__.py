"""Benchmarks and corpus generators, runnable as `python -m benchmarks.<name>`.

They may import jobs, filters and engine; nothing in the product imports this package.
"""
