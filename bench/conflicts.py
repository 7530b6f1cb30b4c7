"""The conflict report at scale: ``python -m bench.conflicts [--offers N]``.

Builds the policy benchmark's world (``bench.policy``: N dataset offers over data spaces with
rulebooks under a national and an EU framework) in an in-memory store and times, in the same
run:

* baseline, one decision: a single request through the store source (median of 20);
* baseline, scan: reading every policy and the links the report needs (one pass);
* the conflict report over the whole store (``dskg policy conflicts``);
* the report over the default graph.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from functools import partial
from typing import TypeVar

from bench.policy import build_quads, make_requests
from kg.policy import service
from kg.policy.conflicts import load_governance
from kg.policy.source import PolicyEngine, StoreSource
from kg.policy.triples import Triples
from kg.store.embedded import EmbeddedStore

T = TypeVar("T")


def _timed(fn: Callable[[], T]) -> tuple[float, T]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--spaces", type=int, default=10)
    parser.add_argument("--orgs", type=int, default=2_000)
    parser.add_argument("--no-default", action="store_true", help="skip the default graph")
    args = parser.parse_args()

    store = EmbeddedStore()
    load_s, _ = _timed(lambda: store.import_quads(
        build_quads(args.offers, args.spaces, args.orgs), "nquads"))
    print(f"store: {args.offers:,} offers, {store.triple_count():,} quads, loaded in "
          f"{load_s:.1f} s")

    engine = PolicyEngine(StoreSource(store))
    requests = make_requests(21, args.offers, args.orgs)
    engine.evaluate(requests[0])  # warm the vocabulary
    one = statistics.median(_timed(partial(engine.evaluate, r))[0] for r in requests[1:])
    scan_s, graph = _timed(lambda: load_governance(store, into=Triples()))
    report_s, report = _timed(lambda: service.conflicts(store))
    body = report.to_json()
    rows = [("baseline: one decision (store)", one),
            ("baseline: scan of every policy", scan_s),
            (f"conflict report, {args.offers:,} offers", report_s)]
    default = None
    if not args.no_default:
        from kg.defaultgraph import load_default_graph

        small = EmbeddedStore()
        load_default_graph(small, "http://127.0.0.1:8000/")
        default_s, default = _timed(lambda: service.conflicts(small))
        rows.append(("conflict report, default graph", default_s))
    print(f"scan: {len(graph):,} triples; report: {body['count']} findings {body['classes']}, "
          f"{body['assetsChecked']:,} assets in {body['assetGroups']:,} groups")
    if default is not None:
        dj = default.to_json()
        print(f"default graph: {dj['count']} findings {dj['classes']}, "
              f"{dj['assetsChecked']} assets in {dj['assetGroups']} groups")
    print(f"\n{'what':<36} {'seconds':>9} {'vs decision':>12} {'vs scan':>9}")
    for label, seconds in rows:
        print(f"{label:<36} {seconds:>9.3f} {seconds / one:>11.0f}x "
              f"{seconds / scan_s:>8.2f}x")


if __name__ == "__main__":
    main()
