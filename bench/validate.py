"""Validation speed: per description with store context, full audits, validated bulk loads.

    python -m bench.validate                          # 1k and 10k datasets
    python -m bench.validate 1000 10000 100000        # the sizes you name
    python -m bench.validate --pyshacl-up-to 10000    # run pySHACL at 10k too (slow)

(a) one new description (~100 triples) validated with its store context (context_for +
    validate_graph), median over repeated runs, with 1k/10k/100k datasets in the store: it
    should stay flat;
(b) a full audit (``dskg validate --all``: validate_store) vs plain pySHACL over the whole
    graph in the same run, asserting the same results (pySHACL only up to a size: it re-parses
    every SPARQL constraint for every focus node);
(c) the validated load (``dskg load``, bench.load's child) vs a bare Oxigraph bulk load of the
    same file, with the validation's own share measured on an in-memory staging store.
Each measurement that loads a file runs in its own process.
"""

from __future__ import annotations

import json
import sys
import time
from collections import Counter
from pathlib import Path

from bench.common import median_ms, p95_ms, print_table, run_child
from bench.generate import generate

SYNTHETIC = "https://w3id.org/dskg/synthetic/id/"
NEW = "https://example.org/bench/new/"


def _key_counts(report: object) -> Counter:
    """Result keys with blank nodes made anonymous (stores rename them)."""
    from rdflib import BNode

    counts: Counter = Counter()
    for result in report.results:  # type: ignore[attr-defined]
        focus = "_:b" if isinstance(result.focus, BNode) else str(result.focus)
        counts[(focus, *result.key()[1:])] += 1
    return counts


def _new_description(store: object) -> object:
    """A new dataset, its distribution and offer (~100 triples with extra keywords), made by
    copying a stored one under new IRIs: it references the stored publisher, catalog,
    policies and vocabularies, so its context comes from the store."""
    from rdflib import Graph, Literal, URIRef

    from kg.namespaces import DCAT

    source = URIRef(f"{SYNTHETIC}dataset/7")
    found = store.query(  # type: ignore[attr-defined]
        "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?d ?x ?y } GRAPH ?g { ?s ?p ?o } }",
        {"d": source}).graph
    renamed = Graph()

    def rename(term: object) -> object:
        text = str(term)
        if isinstance(term, URIRef) and text.startswith(SYNTHETIC) and (
                (term, None, None) in found):
            return URIRef(NEW + text[len(SYNTHETIC):])
        return term

    for s, p, o in found:
        renamed.add((rename(s), rename(p), rename(o)))
    dataset = URIRef(NEW + "dataset/7")
    for n in range(100 - len(renamed)):
        renamed.add((dataset, DCAT.keyword, Literal(f"keyword {n}", lang="en")))
    return renamed


def child_description(path: str, runs: int) -> dict:
    from kg.store.embedded import EmbeddedStore
    from kg.validation import context_for, validate_graph

    store = EmbeddedStore()
    store.import_quads(Path(path).read_bytes(), "nquads")
    data = _new_description(store)
    report = validate_graph(data, context=context_for(store, data))  # warm the shapes
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        report = validate_graph(data, context=context_for(store, data))
        samples.append(time.perf_counter() - started)
    return {"triples": len(data), "store": store.triple_count(), "median": median_ms(samples),
            "p95": p95_ms(samples), "conforms": report.conforms}


def child_audit(path: str) -> dict:
    from kg.store.embedded import EmbeddedStore
    from kg.validation import validate_store

    store = EmbeddedStore()
    store.import_quads(Path(path).read_bytes(), "nquads")
    validate_store(store)  # the first run parses and compiles the shapes
    started = time.perf_counter()
    report = validate_store(store)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "results": len(report.results),
            "violations": report.count("Violation"),
            "keys": [[*k, n] for k, n in _key_counts(report).items()]}


def child_pyshacl(path: str) -> dict:
    from rdflib import Dataset, Graph

    from kg.validation.reference import validate_reference

    dataset = Dataset()
    dataset.parse(path, format="nquads")
    union = Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    started = time.perf_counter()
    report = validate_reference(union, focus_filter=set(union.all_nodes()))
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "results": len(report.results),
            "violations": report.count("Violation"),
            "keys": [[*k, n] for k, n in _key_counts(report).items()]}


def child_staged(path: str) -> dict:
    """The bulk path's parts on an in-memory staging store: load, context, validation."""
    from kg.store.embedded import EmbeddedStore
    from kg.validation import context_for, validate_store

    data = Path(path).read_bytes()
    target = EmbeddedStore()
    started = time.perf_counter()
    staging = EmbeddedStore()
    staging.import_quads(data, "nquads")
    loaded = time.perf_counter()
    context = context_for(target, staging)
    contextual = time.perf_counter()
    report = validate_store(staging, context=context)
    done = time.perf_counter()
    return {"load": loaded - started, "context": contextual - loaded, "validate": done - contextual,
            "results": len(report.results)}


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--child":
        mode, path = argv[1], argv[2]
        children = {"description": lambda: child_description(path, int(argv[3])),
                    "audit": lambda: child_audit(path), "pyshacl": lambda: child_pyshacl(path),
                    "staged": lambda: child_staged(path)}
        print(json.dumps(children[mode]()))
        return
    pyshacl_up_to = 1000
    if "--pyshacl-up-to" in argv:
        at = argv.index("--pyshacl-up-to")
        pyshacl_up_to = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    sizes = [int(a) for a in argv] or [1000, 10000]
    paths = {size: str(generate(size)) for size in sizes}

    print("(a) one new description validated with its store context")
    rows = []
    for size in sizes:
        got = run_child("bench.validate", "--child", "description", paths[size], "30")
        rows.append([f"{size:,}", got["store"], got["triples"], got["median"], got["p95"],
                     "yes" if got["conforms"] else "no"])
    print_table(["datasets", "store triples", "description triples", "median ms", "p95 ms",
                 "conforms"], rows)

    print("\n(b) full audit: compiled SPARQL engine (validate_store) vs plain pySHACL")
    rows = []
    for size in sizes:
        audit = run_child("bench.validate", "--child", "audit", paths[size])
        if size <= pyshacl_up_to:
            reference = run_child("bench.validate", "--child", "pyshacl", paths[size],
                                  timeout=6 * 3600)
            same = Counter({tuple(k[:-1]): k[-1] for k in audit["keys"]}) == Counter(
                {tuple(k[:-1]): k[-1] for k in reference["keys"]})
            assert same, f"the engines disagree at {size} datasets"
            rows.append([f"{size:,}", audit["results"], audit["violations"], audit["seconds"],
                         reference["seconds"], reference["seconds"] / audit["seconds"],
                         "identical"])
        else:
            rows.append([f"{size:,}", audit["results"], audit["violations"], audit["seconds"],
                         "-", "-", f"pySHACL not run above {pyshacl_up_to:,}"])
    print_table(["datasets", "results", "violations", "engine s", "pySHACL s",
                 "x faster", "result sets"], rows)

    print("\n(c) validated load (dskg load) vs bare Oxigraph bulk load of the same file")
    rows = []
    for size in sizes:
        bare = run_child("bench.load", "--child", "bare", paths[size])
        validated = run_child("bench.load", "--child", "validated", paths[size])
        staged = run_child("bench.validate", "--child", "staged", paths[size])
        rows.append([f"{size:,}", bare["triples"], bare["seconds"], validated["seconds"],
                     validated["seconds"] / bare["seconds"], staged["load"],
                     staged["context"], staged["validate"],
                     staged["validate"] / bare["seconds"]])
    print_table(["datasets", "triples", "bare s", "dskg load s", "x bare", "staging load s",
                 "context s", "validate s", "validate x bare"], rows)


if __name__ == "__main__":
    main(sys.argv[1:])
