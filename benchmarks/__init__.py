"""Benchmarks of azsphere_async against its baselines; run them with ``python -m benchmarks``.

See ``benchmarks/README.md`` for what each benchmark measures and how to read the results.
"""
