"""Policy evaluation throughput at scale: ``python -m bench.policy [--offers N]``.

Builds an in-memory store with N dataset offers (default 100,000) spread over data spaces
that each have a rulebook and are subject to a national and an EU framework, then measures:

* single: one request at a time through the store source (one bounded query each);
* batch: the same requests through ``evaluate_many`` (slices shared per target/assignee);
* baseline (preloaded): the same decisions with each request's data already in a
  Graph (evaluation only, no store round trips), measured in the same run;
* scan: what one pass over all policies costs (the lower bound for any evaluator that
  scans), to compare with a single decision.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time

from kg.policy.conflicts import load_governance
from kg.policy.evaluator import Evaluator
from kg.policy.request import Request, build_request
from kg.policy.source import PolicyEngine, StoreSource
from kg.store.embedded import EmbeddedStore

EX = "https://bench.example.org/"
ODRL = "http://www.w3.org/ns/odrl/2/"
DSKG = "https://w3id.org/dskg#"
DCAT = "http://www.w3.org/ns/dcat#"
ORG = "http://www.w3.org/ns/org#"
SKOS = "http://www.w3.org/2004/02/skos/core#"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
PURPOSES = ["Research", "Health", "Commercial", "Marketing", "Education"]


def _q(s: str, p: str, o: str, g: str) -> str:
    return f"{s} {p} {o} {g} .\n"


def build_quads(offers: int, spaces: int, orgs: int) -> bytes:
    """N-Quads for the benchmark world (each description in its own named graph)."""
    out: list[str] = []
    g = f"<{EX}graph/frameworks>"
    eu, nat = f"<{EX}eu>", f"<{EX}nat>"
    out += [_q(eu, f"<{DSKG}tier>", f"<{DSKG}EUTier>", g),
            _q(eu, f"<{ODRL}hasPolicy>", f"<{EX}eu-set>", g),
            _q(f"<{EX}eu-set>", f"<{RDF_TYPE}>", f"<{ODRL}Set>", g),
            _q(f"<{EX}eu-set>", f"<{ODRL}prohibition>", f"<{EX}eu-no-transfer>", g),
            _q(f"<{EX}eu-no-transfer>", f"<{ODRL}action>", f"<{ODRL}transfer>", g),
            _q(f"<{EX}eu-no-transfer>", f"<{ODRL}constraint>", "_:c1", g),
            _q("_:c1", f"<{ODRL}leftOperand>", f"<{ODRL}spatial>", g),
            _q("_:c1", f"<{ODRL}operator>", f"<{ODRL}isNoneOf>", g),
            _q("_:c1", f"<{ODRL}rightOperand>", '"EEA"', g),
            _q(nat, f"<{DSKG}tier>", f"<{DSKG}NationalTier>", g),
            _q(nat, f"<{DSKG}subjectTo>", eu, g),
            _q(nat, f"<{ODRL}hasPolicy>", f"<{EX}nat-set>", g),
            _q(f"<{EX}nat-set>", f"<{RDF_TYPE}>", f"<{ODRL}Set>", g),
            _q(f"<{EX}nat-set>", f"<{ODRL}inheritFrom>", f"<{EX}eu-set>", g),
            _q(f"<{EX}nat-set>", f"<{ODRL}prohibition>", f"<{EX}nat-no-marketing>", g),
            _q(f"<{EX}nat-no-marketing>", f"<{ODRL}action>", f"<{ODRL}use>", g),
            _q(f"<{EX}nat-no-marketing>", f"<{ODRL}constraint>", "_:c2", g),
            _q("_:c2", f"<{ODRL}leftOperand>", f"<{ODRL}purpose>", g),
            _q("_:c2", f"<{ODRL}operator>", f"<{ODRL}isA>", g),
            _q("_:c2", f"<{ODRL}rightOperand>", f"<{EX}Marketing>", g),
            _q(f"<{EX}Marketing>", f"<{SKOS}broader>", f"<{EX}Commercial>", g)]
    for s in range(spaces):
        ds, gs = f"<{EX}space{s}>", f"<{EX}graph/space{s}>"
        out += [_q(ds, f"<{RDF_TYPE}>", f"<{DSKG}DataSpace>", gs),
                _q(ds, f"<{DSKG}catalog>", f"<{EX}cat{s}>", gs),
                _q(ds, f"<{DSKG}rulebook>", f"<{EX}rb{s}>", gs),
                _q(ds, f"<{DSKG}subjectTo>", nat, gs),
                _q(f"<{EX}rb{s}>", f"<{ODRL}hasPolicy>", f"<{EX}rbp{s}>", gs),
                _q(f"<{EX}rbp{s}>", f"<{RDF_TYPE}>", f"<{ODRL}Set>", gs),
                _q(f"<{EX}rbp{s}>", f"<{ODRL}inheritFrom>", f"<{EX}nat-set>", gs),
                _q(f"<{EX}rbp{s}>", f"<{ODRL}prohibition>", f"<{EX}rb{s}-no-sell>", gs),
                _q(f"<{EX}rb{s}-no-sell>", f"<{ODRL}action>", f"<{ODRL}sell>", gs)]
    for o in range(orgs):
        org, go = f"<{EX}org{o}>", f"<{EX}graph/org{o}>"
        out += [_q(org, f"<{RDF_TYPE}>", f"<{ORG}Organization>", go),
                _q(f"<{EX}m{o}>", f"<{ORG}member>", org, go),
                _q(f"<{EX}m{o}>", f"<{ORG}organization>", f"<{EX}space{o % spaces}>", go)]
    for i in range(offers):
        s = i % spaces
        d, offer, gd = f"<{EX}d{i}>", f"<{EX}offer{i}>", f"<{EX}graph/d{i}>"
        perm, coll, cons = f"<{EX}offer{i}-use>", f"_:p{i}", f"_:k{i}"
        out += [_q(d, f"<{RDF_TYPE}>", f"<{DCAT}Dataset>", gd),
                _q(f"<{EX}cat{s}>", f"<{DCAT}dataset>", d, gd),
                _q(d, f"<{ODRL}hasPolicy>", offer, gd),
                _q(offer, f"<{RDF_TYPE}>", f"<{ODRL}Offer>", gd),
                _q(offer, f"<{ODRL}assigner>", f"<{EX}org{i % orgs}>", gd),
                _q(offer, f"<{ODRL}target>", d, gd),
                _q(offer, f"<{ODRL}inheritFrom>", f"<{EX}rbp{s}>", gd),
                _q(offer, f"<{ODRL}permission>", perm, gd),
                _q(perm, f"<{ODRL}action>", f"<{ODRL}use>", gd),
                _q(perm, f"<{ODRL}assignee>", coll, gd),
                _q(coll, f"<{RDF_TYPE}>", f"<{ODRL}PartyCollection>", gd),
                _q(coll, f"<{ODRL}source>", f"<{EX}space{s}>", gd),
                _q(perm, f"<{ODRL}constraint>", cons, gd),
                _q(cons, f"<{ODRL}leftOperand>", f"<{ODRL}purpose>", gd),
                _q(cons, f"<{ODRL}operator>", f"<{ODRL}isAnyOf>", gd),
                _q(cons, f"<{ODRL}rightOperand>", f"<{EX}{PURPOSES[i % 3]}>", gd)]
        if i % 2:
            out += [_q(perm, f"<{ODRL}duty>", f"<{EX}offer{i}-attr>", gd),
                    _q(f"<{EX}offer{i}-attr>", f"<{ODRL}action>", f"<{ODRL}attribute>", gd)]
    return "".join(out).encode()


def make_requests(count: int, offers: int, orgs: int, seed: int = 7,
                  per_pair: int = 1) -> list[Request]:
    """Random requests; ``per_pair`` > 1 asks that many questions per (target, assignee)."""
    rng = random.Random(seed)
    actions = ["odrl:read", "odrl:use", "odrl:transfer", "odrl:sell", "odrl:print"]
    out: list[Request] = []
    while len(out) < count:
        assignee, target = f"{EX}org{rng.randrange(orgs)}", f"{EX}d{rng.randrange(offers)}"
        for _ in range(per_pair):
            out.append(build_request(
                assignee=assignee, action=rng.choice(actions), target=target,
                purpose=f"{EX}{rng.choice(PURPOSES)}", spatial=rng.choice(["ES", "DE", "US"]),
                at="2025-06-01T12:00:00Z",
                duties_done=["odrl:attribute"] if rng.random() < 0.5 else []))
    return out[:count]


def _rss_mb() -> float:
    """This process's resident memory (Linux), in MB; 0 where unknown."""
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 1e6
    except (OSError, ValueError):
        return 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--offers", type=int, default=100_000)
    parser.add_argument("--spaces", type=int, default=10)
    parser.add_argument("--orgs", type=int, default=2_000)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--list", choices=("auto", "yes", "no"), default="auto",
                        help="time the permitted-datasets list (auto: up to 100,000 offers)")
    parser.add_argument("--no-scan", action="store_true", help="skip the full-scan row")
    args = parser.parse_args()

    store = EmbeddedStore()
    started = time.perf_counter()
    data = build_quads(args.offers, args.spaces, args.orgs)
    store.import_quads(data, "nquads")
    load_s = time.perf_counter() - started
    print(f"store: {args.offers:,} offers, {store.triple_count():,} quads, "
          f"built and loaded in {load_s:.1f} s")

    requests = make_requests(args.requests, args.offers, args.orgs)
    source = StoreSource(store)
    engine = PolicyEngine(source)
    engine.evaluate(requests[0])  # warm the vocabulary and caches

    latencies = []
    single = []
    t0, c0 = time.perf_counter(), time.process_time()
    for request in requests:
        start = time.perf_counter()
        single.append(engine.evaluate(request))
        latencies.append(time.perf_counter() - start)
    single_s, single_cpu = time.perf_counter() - t0, time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    batch = engine.evaluate_many(requests)
    batch_s, batch_cpu = time.perf_counter() - t0, time.process_time() - c0

    # A batch asking several questions about each dataset (a catalog page, an audit).
    grouped = make_requests(args.requests, args.offers, args.orgs, seed=11, per_pair=8)
    t0, c0 = time.perf_counter(), time.process_time()
    engine.evaluate_many(grouped)
    grouped_s, grouped_cpu = time.perf_counter() - t0, time.process_time() - c0

    # Baseline: each request's data preloaded into an rdflib Graph; time evaluation only.
    slices = [source.evaluator_for(r).graph for r in requests]
    base_latencies = []
    preloaded = []
    t0, c0 = time.perf_counter(), time.process_time()
    for graph, request in zip(slices, requests, strict=True):
        start = time.perf_counter()
        preloaded.append(Evaluator(graph).evaluate(request))
        base_latencies.append(time.perf_counter() - start)
    base_s, base_cpu = time.perf_counter() - t0, time.process_time() - c0

    t0, c0 = time.perf_counter(), time.process_time()
    scanned = None if args.no_scan else load_governance(store)
    scan_s, scan_cpu = time.perf_counter() - t0, time.process_time() - c0

    # The permitted-datasets list (GET /datasets?may=...): every dataset decided, exact total;
    # first call (cold) and the next page (decisions kept until the store changes).
    from kg.services.context import ServiceContext
    from kg.services.listing import Filters
    from kg.services.permitted import Question, permitted, permitted_targets
    from kg.settings import Settings

    ctx = ServiceContext(store, Settings(store="memory", load_default_graph=False))
    question = Question(f"{EX}org3", "odrl:use", purpose=f"{EX}Research",
                        at="2025-06-01T12:00:00Z", duties_done=("odrl:attribute",))
    timed_list = args.list == "yes" or (args.list == "auto" and args.offers <= 100_000)
    list_s = page_s = list_cpu = build_s = build_cpu = total_s = total_cpu = index_mb = 0.0
    listed = None
    if timed_list:
        from kg.policy.shapeindex import shape_index_for

        t0, c0, rss0 = time.perf_counter(), time.process_time(), _rss_mb()
        index = shape_index_for(store)
        with index.current():  # built once per store, then kept by change events
            build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
        index_mb = _rss_mb() - rss0
        t0, c0 = time.perf_counter(), time.process_time()
        permitted_targets(ctx, question)  # every dataset decided: the exact total
        total_s, total_cpu = time.perf_counter() - t0, time.process_time() - c0
        listed = permitted(ctx, Filters(), question, limit=50)  # + the page's 50 explained
        list_s, list_cpu = time.perf_counter() - t0, time.process_time() - c0
        t0 = time.perf_counter()
        permitted(ctx, Filters(), question, limit=50, offset=50)
        page_s = time.perf_counter() - t0

    mismatches = sum((a.decision, a.reason) != (b.decision, b.reason)
                     for other in (batch, preloaded)
                     for a, b in zip(single, other, strict=True))
    counts = {k: sum(d.decision == k for d in single) for k in ("permit", "deny",
                                                                "not-applicable")}
    n = len(requests)
    rows = [
        ("single (store, one query each)", n / single_s, statistics.median(latencies),
         single_cpu / n),
        ("batch, random requests", n / batch_s, batch_s / n, batch_cpu / n),
        ("batch, 8 requests per dataset", len(grouped) / grouped_s, grouped_s / len(grouped),
         grouped_cpu / len(grouped)),
        ("baseline: preloaded slice, no store", n / base_s, statistics.median(base_latencies),
         base_cpu / n),
    ]
    if scanned is not None:
        rows.append(("scan: one pass over all policies", 1 / scan_s, scan_s, scan_cpu))
    baseline_rate = n / base_s
    print(f"\n{n} requests: {counts}; decisions differing between paths: {mismatches}")
    print(f"scan graph: {len(scanned or []):,} triples\n")
    print("(batch and scan rows give the mean time per decision or per scan; CPU ms: the\n"
          " process's CPU time per decision, engine threads included, which a loaded machine\n"
          " does not inflate: 1000 / CPU ms is the rate on one free core)")
    print(f"{'path':<36} {'decisions/s':>12} {'median ms':>10} {'CPU ms':>8} "
          f"{'vs baseline':>12}")
    for label, rate, latency, cpu in rows:
        print(f"{label:<36} {rate:>12.1f} {latency * 1000:>10.2f} {cpu * 1000:>8.2f} "
              f"{rate / baseline_rate:>11.2f}x")
    one = statistics.median(latencies)
    if listed is not None:
        print(f"\nshape index over {args.offers:,} datasets ({len(index.members)} groups, "
              f"{len(index.alone)} decided alone): built in {build_s:.2f} s "
              f"({build_cpu:.1f} s CPU; once per store), "
              f"resident memory +{index_mb:.0f} MB")
        print(f"exact total over {args.offers:,} datasets (every dataset decided): "
              f"{total_s:.2f} s ({total_cpu:.2f} s CPU) = {total_s / one:,.0f}x one single "
              f"decision ({total_cpu / (single_cpu / n):,.0f}x in CPU time)")
        print(f"permitted list over {args.offers:,} datasets (total {listed.total:,}): "
              f"{list_s:.2f} s ({list_cpu:.2f} s CPU) = {list_s / one:,.0f}x one single "
              f"decision ({list_cpu / (single_cpu / n):,.0f}x in CPU time); next page "
              f"{page_s * 1000:.1f} ms = {page_s / one:.1f}x")
    if scanned is not None:
        print(f"\nsingle decision vs one full scan: {scan_s / one:.0f}x faster than scanning")


if __name__ == "__main__":
    main()
