"""Benchmarks: commands that print figures (``python -m bench.sync``, ``bench.scan``,
``bench.store``, ``bench.api``). They may import every other package, the regtest harness
included; nothing imports them."""
