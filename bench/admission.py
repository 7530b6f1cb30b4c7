"""The cost of checking a submission beyond the shapes, and of admitting it.

    python -m bench.admission              # 1k and 10k datasets
    python -m bench.admission 1000 100000  # the sizes you name

For each size, a store with the default graph and a synthetic ecosystem of N datasets
(bench.generate); the submission is tests/fixtures/admission/seine.ttl (a data space with
its authority, rulebook, catalog, one dataset, two memberships). Measured, median of runs:

- baseline: the shapes with store context (``kg.write.validate_descriptions``: what
  ``POST /validate`` and every write do);
- checks: the whole submission check (``kg.admission.service.evaluate``: parse, shapes,
  authority and members, frameworks, inheritance, conflicts, registration numbers, quality,
  ownership), and its ratio to the baseline;
- admission: the one-transaction commit of its descriptions through the write path.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from bench.common import median_ms, print_table
from harness.generate import generate

SUBMISSION = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "admission" / \
    "seine.ttl"
BASE = "http://127.0.0.1:8000/"
RUNS = 7


def measure(n_datasets: int) -> list[object]:
    from kg.admission import service
    from kg.defaultgraph import load_default_graph
    from kg.services.context import ServiceContext
    from kg.settings import Settings
    from kg.store.embedded import EmbeddedStore
    from kg.write import Origin, commit, validate_descriptions

    store = EmbeddedStore()
    load_default_graph(store, BASE)
    store.bulk_import(generate(n_datasets).read_bytes(), "nquads")
    ctx = ServiceContext(store, Settings(store="memory", base_iri=BASE,
                                         load_default_graph=False))
    data = SUBMISSION.read_bytes()
    evaluated = service.evaluate(ctx, data, "text/turtle")  # warm: shapes compiled once
    assert evaluated.status == "pending", evaluated.checks
    baseline, checks, admits = [], [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        validate_descriptions(store, evaluated.content.descriptions)
        baseline.append(time.perf_counter() - started)
        started = time.perf_counter()
        service.evaluate(ctx, data, "text/turtle")
        checks.append(time.perf_counter() - started)
    space = evaluated.content.dataspace
    for _ in range(3):
        origin = Origin(agent="bench", activity="admission", base_iri=BASE,
                        writer=service.admission_writer(space, "bench"))
        started = time.perf_counter()
        commit(store, evaluated.content.descriptions, origin, mode="upsert")
        admits.append(time.perf_counter() - started)
    store.close()
    return [n_datasets, median_ms(baseline), median_ms(checks),
            median_ms(checks) / median_ms(baseline), median_ms(admits)]


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [1000, 10000]
    rows = [measure(n) for n in sizes]
    print_table(["datasets", "shapes (ms)", "all checks (ms)", "ratio", "admission commit (ms)"],
                rows)


if __name__ == "__main__":
    main(sys.argv[1:])
