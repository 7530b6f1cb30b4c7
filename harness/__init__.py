"""What tests and benchmarks both run: servers, data generators, the store contract, the
Gaia-X credential factory and the soak harnesses (a real node, crashes, load, runaway
queries, fuzzing, outbound probes).

Tests (``tests/``) and benchmarks (``bench/``) import from here and never from each other;
nothing here imports either of them.
"""
