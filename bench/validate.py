"""Validation speed: per description with store context, full audits, validated bulk loads.

    python -m bench.validate                          # 1k and 10k datasets
    python -m bench.validate 1000 10000 100000        # the sizes you name
    python -m bench.validate --pyshacl-up-to 10000    # run pySHACL at 10k too (slow)
    python -m bench.validate --suite                  # only the W3C SHACL Core pass counts

(s) the W3C SHACL Core suite (tests/w3c/shacl-core): tests passed by our engine, pySHACL
    and pyrudof (SHACL in Rust), and each one's time for the whole suite;
(a) one new description (~100 triples) validated with its store context (context_for +
    validate_graph), median over repeated runs, with 1k/10k/100k datasets in the store: it
    should stay flat; pyrudof on the same description, context and shapes; and the write
    path's ownership review of the same description sent by its data space's steward
    (DESIGN 4a), with its ratio to the validation;
(b) a full audit (``dskg validate --all``: validate_store) vs plain pySHACL and pyrudof over
    the whole graph in the same run (pyrudof's time to read the data from N-Triples shown
    apart: ours runs on the store as loaded), asserting the same results (pySHACL only up to a size:
    it re-parses every SPARQL constraint for every focus node). pyrudof stops with a SPARQL
    parse error on our SHACL-SPARQL constraints (it pre-binds ``$this`` with ``VALUES``, which
    cannot hold a blank node), so it runs without them and their results are left out of its
    comparison;
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
from harness.generate import generate

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


def _pyrudof_shapes(data: object, context: object | None = None) -> object:
    """The shape sets the data can meet (as the pySHACL reference picks them), minus
    sh:sparql, which pyrudof cannot run on our data (see the module doc)."""
    from rdflib import Graph

    from kg.namespaces import SH
    from kg.validation.engine import graph_profile, sets_for

    classes, predicates, nodes, extra = graph_profile(data, context)  # type: ignore[arg-type]
    shapes = Graph()
    for shape_set in sets_for(classes, predicates, nodes, extra):
        for triple in shape_set.graph():
            if triple[1] != SH.sparql:
                shapes.add(triple)
    return shapes


def _pyrudof_data(data: object, context: object | None, shapes: object) -> str:
    """Data + context + the subclass axioms, as N-Triples (the reference's data graph)."""
    from rdflib import Graph

    from kg.validation.shapes import subclass_axioms

    combined = Graph()
    for part in (data, context or Graph(), subclass_axioms(shapes, data)):  # type: ignore
        for triple in part:
            combined.add(triple)
    return combined.serialize(format="nt")


def _rudof_with(shapes: object) -> object:
    import pyrudof

    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_shacl(shapes.serialize(format="nt"),  # type: ignore[attr-defined]
                     format=pyrudof.ShaclFormat.NTriples)
    return rudof


def _rudof_validate(rudof: object, data_nt: str) -> object:
    import pyrudof

    rudof.read_data(data_nt, format=pyrudof.RDFFormat.NTriples)  # type: ignore[attr-defined]
    return rudof.validate_shacl()  # type: ignore[attr-defined]


def _pyrudof_keys(report: object) -> Counter:
    """Result keys as ``_key_counts`` makes them (pyrudof gives terms as plain strings)."""
    counts: Counter = Counter()
    for entry in report:  # type: ignore[attr-defined]
        focus = entry.focus_node
        focus = "_:b" if focus.startswith("_:") or "://" not in focus else focus
        counts[(focus, entry.path, entry.severity, entry.constraint_component)] += 1
    return counts


def child_description_pyrudof(path: str, runs: int) -> dict:
    """pyrudof on the same new description and store context as ``child_description``, its
    shapes read once (as our engine compiles them once): each run fetches the context,
    hands data + context to pyrudof and validates."""
    from kg.store.embedded import EmbeddedStore
    from kg.validation import context_for
    from kg.validation.engine import focus_nodes

    store = EmbeddedStore()
    store.import_quads(Path(path).read_bytes(), "nquads")
    data = _new_description(store)
    shapes = _pyrudof_shapes(data, context_for(store, data))
    rudof = _rudof_with(shapes)
    samples = []
    report: object = None
    for _ in range(runs + 1):
        started = time.perf_counter()
        context = context_for(store, data)
        report = _rudof_validate(rudof, _pyrudof_data(data, context, shapes))
        samples.append(time.perf_counter() - started)
    samples = samples[1:]  # the first run is the warm-up, as for our engine
    # Results about the description's own nodes (as ours keeps), not about its context.
    own = {str(n) for n in focus_nodes(data)}  # type: ignore[arg-type]
    violations = sum(1 for e in report if e.severity == "Violation"  # type: ignore[attr-defined]
                     and e.focus_node.removeprefix("_:") in own)
    return {"median": median_ms(samples), "p95": p95_ms(samples), "conforms": violations == 0}


def child_audit_pyrudof(path: str) -> dict:
    from rdflib import Dataset, Graph

    dataset = Dataset()
    dataset.parse(path, format="nquads")
    union = Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        union.add((s, p, o))
    shapes = _pyrudof_shapes(union)
    data_nt = _pyrudof_data(union, None, shapes)
    import pyrudof

    rudof = _rudof_with(shapes)
    started = time.perf_counter()
    rudof.read_data(data_nt, format=pyrudof.RDFFormat.NTriples)  # type: ignore[attr-defined]
    loaded = time.perf_counter()
    report = rudof.validate_shacl()  # type: ignore[attr-defined]
    done = time.perf_counter()
    keys = _pyrudof_keys(report)
    return {"seconds": done - loaded, "read": loaded - started, "results": sum(keys.values()),
            "keys": [[*k, n] for k, n in keys.items()]}


def child_suite(engine: str) -> dict:
    import logging
    import warnings

    from kg.paths import project_root
    from kg.validation.suite import ENGINES, load_suite, run_test

    warnings.simplefilter("ignore")  # pySHACL and rdflib warn on the suite's odd literals
    logging.disable(logging.CRITICAL)
    tests = load_suite(project_root() / "tests" / "w3c" / "shacl-core")
    started = time.perf_counter()
    outcomes = [run_test(test, ENGINES[engine]) for test in tests]
    seconds = time.perf_counter() - started
    return {"passed": sum(o.passed for o in outcomes), "total": len(outcomes),
            "seconds": seconds, "failed": [o.test.name for o in outcomes if not o.passed]}


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
    owner_ms, outcome = _ownership_cost(store, data, runs)
    return {"triples": len(data), "store": store.triple_count(), "median": median_ms(samples),
            "p95": p95_ms(samples), "conforms": report.conforms, "ownership": owner_ms,
            "ownership_outcome": outcome}


def _ownership_cost(store: object, data: object, runs: int) -> tuple[float, str]:
    """The write path's ownership review of the new description (DESIGN 4a), as its data
    space's steward would send it: median ms, and whether it was accepted."""
    from rdflib import Graph, URIRef

    from kg.errors import OwnershipRefused
    from kg.namespaces import DCAT, DSKG, RDF
    from kg.ownership import Writer
    from kg.write import Description, Origin, graph_iri_for, review_ownership

    root = next(s for s in data.subjects(RDF.type, DCAT.Dataset))  # type: ignore[attr-defined]
    # The copied dataset's data space (the new one sits in the same catalog).
    spaces = store.query(  # type: ignore[attr-defined]
        "SELECT ?s WHERE { ?s ?p ?c . ?c ?listing ?d }",
        {"p": DSKG.catalog, "listing": DCAT.dataset,
         "d": URIRef(f"{SYNTHETIC}dataset/7")}).column("s")
    writer = Writer(role="steward", name="bench", spaces=frozenset(
        x for x in spaces if isinstance(x, URIRef)))
    origin = Origin(agent="bench", writer=writer, base_iri="https://w3id.org/dskg/synthetic/")
    samples, outcome = [], "accepted"
    for _ in range(runs + 1):
        graph = Graph()
        for triple in data:  # type: ignore[attr-defined]
            graph.add(triple)
        description = Description(name=graph_iri_for(origin.base_iri, root), graph=graph,
                                  root=root)
        started = time.perf_counter()
        try:
            review_ownership(store, [description], origin)  # type: ignore[arg-type]
        except OwnershipRefused as exc:
            outcome = f"refused: {exc.message[:60]}"
        samples.append(time.perf_counter() - started)
    return median_ms(samples[1:]), outcome


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
                    "staged": lambda: child_staged(path),
                    "description-pyrudof": lambda: child_description_pyrudof(path, int(argv[3])),
                    "audit-pyrudof": lambda: child_audit_pyrudof(path),
                    "suite": lambda: child_suite(path)}
        print(json.dumps(children[mode]()))
        return
    pyshacl_up_to = 1000
    if "--pyshacl-up-to" in argv:
        at = argv.index("--pyshacl-up-to")
        pyshacl_up_to = int(argv[at + 1])
        argv = argv[:at] + argv[at + 2:]
    suite_only = "--suite" in argv
    argv = [a for a in argv if a != "--suite"]
    print("(s) W3C SHACL Core test suite (tests/w3c/shacl-core): tests passed")
    rows = []
    suite = {name: run_child("bench.validate", "--child", "suite", name)
             for name in ("ours", "pySHACL", "pyrudof")}
    for name, got in suite.items():
        rows.append([name, f"{got['passed']}/{got['total']}", got["seconds"],
                     got["seconds"] / suite["ours"]["seconds"],
                     ", ".join(got["failed"]) or "-"])
    print_table(["engine", "passed", "suite s", "x ours", "failed"], rows)
    if suite_only:
        return
    sizes = [int(a) for a in argv] or [1000, 10000]
    paths = {size: str(generate(size)) for size in sizes}

    print("\n(a) one new description validated with its store context: ours vs pyrudof")
    rows = []
    for size in sizes:
        got = run_child("bench.validate", "--child", "description", paths[size], "30")
        rudof = run_child("bench.validate", "--child", "description-pyrudof", paths[size], "10")
        rows.append([f"{size:,}", got["store"], got["triples"], got["median"], got["p95"],
                     "yes" if got["conforms"] else "no", rudof["median"],
                     rudof["median"] / got["median"], got["ownership"],
                     got["ownership"] / got["median"], got["ownership_outcome"]])
    print_table(["datasets", "store triples", "description triples", "median ms", "p95 ms",
                 "conforms", "pyrudof median ms", "x pyrudof", "ownership ms",
                 "ownership x validation", "ownership review"], rows)

    print("\n(b) full audit: compiled SPARQL engine (validate_store) vs pySHACL and pyrudof")
    rows = []
    for size in sizes:
        audit = run_child("bench.validate", "--child", "audit", paths[size])
        ours = Counter({tuple(k[:-1]): k[-1] for k in audit["keys"]})
        rudof = run_child("bench.validate", "--child", "audit-pyrudof", paths[size])
        no_sparql = Counter({k: n for k, n in ours.items()
                             if not str(k[-1]).endswith("#SPARQLConstraintComponent")})
        assert no_sparql == Counter({tuple(k[:-1]): k[-1] for k in rudof["keys"]}), \
            f"pyrudof and our engine disagree at {size} datasets"
        row = [f"{size:,}", audit["results"], audit["violations"], audit["seconds"],
               rudof["read"], rudof["seconds"], rudof["seconds"] / audit["seconds"]]
        if size <= pyshacl_up_to:
            reference = run_child("bench.validate", "--child", "pyshacl", paths[size],
                                  timeout=6 * 3600)
            same = ours == Counter({tuple(k[:-1]): k[-1] for k in reference["keys"]})
            assert same, f"the engines disagree at {size} datasets"
            rows.append([*row, reference["seconds"], reference["seconds"] / audit["seconds"],
                         "identical"])
        else:
            rows.append([*row, "-", "-", f"identical (pySHACL not run above "
                         f"{pyshacl_up_to:,})"])
    print_table(["datasets", "results", "violations", "engine s", "pyrudof read s",
                 "pyrudof validate s", "x pyrudof",
                 "pySHACL s", "x pySHACL", "result sets"], rows)

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
