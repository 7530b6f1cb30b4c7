"""Run W3C SHACL test-suite manifests (``sht:Validate`` entries) and compare reports.

Used by ``tests/test_w3c_shacl.py`` (our engine must pass the Core suite) and by
``python -m bench.validate`` (conformance counts of our engine, pySHACL and pyrudof).

A test passes when the report's ``sh:conforms`` and its results equal the expected ones as
multisets of (focusNode, resultPath, value, sourceShape, sourceConstraintComponent,
resultSeverity); messages and ``sh:detail`` are not compared (the suite leaves them open).
Blank nodes are compared by what the data and shapes graphs say about them (their
non-blank neighbours); a blank node the expected report names but the graphs do not
contain (an expected report written in another file than its data) matches any blank node.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from kg.namespaces import RDF, SH
from kg.rdfio import parse_graph
from kg.validation.engine import validate_with_shapes

MF = Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
SHT = Namespace("http://www.w3.org/ns/shacl-test#")

#: One result as compared: (focus, path, value, sourceShape, component, severity).
ResultKey = tuple[object, ...]
#: An engine under test: (data, shapes) -> its SHACL validation report graph.
Engine = Callable[[Graph, Graph], Graph]


@dataclass
class SuiteTest:
    name: str  # the entry's IRI relative to the suite root, e.g. "node/class-001"
    label: str
    data: Graph
    shapes: Graph
    conforms: bool
    expected: list[ResultKey]
    #: The graphs' blank nodes and what identifies them (see ``_signature``).
    known: dict[BNode, object]


#: Where the W3C publishes the suite: its files are read from the local copy but resolved
#: against this base, so the tests' nodes have the http IRIs the suite has on the web (a
#: ``file:`` IRI is not a resource IRI the project's shapes accept: shapes/links.ttl).
PUBLISHED = "https://w3c.github.io/data-shapes/data-shapes-test-suite/tests/core"


class _Files:
    """Each file parsed once, by the parser ``dskg validate`` uses (a test whose data, shapes
    and manifest are one file must see the same blank nodes in all three)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.graphs: dict[str, Graph] = {}

    def get(self, iri: Node | None) -> Graph:
        key = str(iri).split("#", 1)[0]
        if key not in self.graphs:
            path = self.root / key.removeprefix(PUBLISHED + "/")
            self.graphs[key] = parse_graph(path.read_bytes(), "turtle", base_iri=key,
                                           max_triples=None)
        return self.graphs[key]


def load_suite(root: Path) -> list[SuiteTest]:
    """Every ``sht:Validate`` test reachable from ``root/manifest.ttl`` (with mf:include)."""
    root = root.resolve()
    files = _Files(root)
    tests: list[SuiteTest] = []
    seen: set[str] = set()

    def walk(manifest: str) -> None:
        if manifest in seen:
            return
        seen.add(manifest)
        graph = files.get(URIRef(manifest))
        for included in graph.objects(URIRef(manifest), MF.include):
            walk(str(included))
        for lst in graph.objects(URIRef(manifest), MF.entries):
            for entry in graph.items(lst):
                if (entry, RDF.type, SHT.Validate) in graph:
                    tests.append(_read_test(files, graph, entry))

    walk(f"{PUBLISHED}/manifest.ttl")
    return tests


def _read_test(files: _Files, graph: Graph, entry: Node) -> SuiteTest:
    action = graph.value(entry, MF.action)
    data = files.get(graph.value(action, SHT.dataGraph))
    shapes = files.get(graph.value(action, SHT.shapesGraph))
    report = graph.value(entry, MF.result)
    known = _signatures(data, shapes)
    conforms = graph.value(report, SH.conforms)
    return SuiteTest(
        name=str(entry).removeprefix(PUBLISHED + "/"),
        label=str(graph.value(entry, URIRef("http://www.w3.org/2000/01/rdf-schema#label"))),
        data=data, shapes=shapes,
        conforms=bool(conforms.toPython()) if isinstance(conforms, Literal) else False,
        expected=results_of(graph, report, known), known=known)


def _signatures(*graphs: Graph) -> dict[BNode, object]:
    """Blank node -> its non-blank neighbours (a name that survives re-labelling)."""
    edges: dict[BNode, list[tuple[str, ...]]] = {}
    for graph in dict.fromkeys(graphs):
        for s, p, o in graph:
            if isinstance(s, BNode):
                edges.setdefault(s, []).append(
                    ("out", str(p), "_" if isinstance(o, BNode) else o.n3()))
            if isinstance(o, BNode):
                edges.setdefault(o, []).append(
                    ("in", str(p), "_" if isinstance(s, BNode) else s.n3()))
    return {node: tuple(sorted(found)) for node, found in edges.items()}


def path_key(graph: Graph, node: Node | None) -> str | None:
    """A SHACL path written as text (paths are blank-node structures in reports)."""
    if node is None:
        return None
    if isinstance(node, URIRef):
        return f"<{node}>"
    if (node, RDF.first, None) in graph:
        return "(" + " / ".join(str(path_key(graph, n)) for n in graph.items(node)) + ")"
    for predicate, mark in ((SH.inversePath, "^"), (SH.alternativePath, "|"),
                            (SH.zeroOrMorePath, "*"), (SH.oneOrMorePath, "+"),
                            (SH.zeroOrOnePath, "?")):
        inner = graph.value(node, predicate)
        if inner is None:
            continue
        if predicate == SH.alternativePath:
            return "(" + " | ".join(str(path_key(graph, n)) for n in graph.items(inner)) + ")"
        text = str(path_key(graph, inner))
        return f"^{text}" if mark == "^" else f"({text}){mark}"
    return f"?{node}"


def _term(node: Node | None, known: dict[BNode, object]) -> object:
    if isinstance(node, BNode):
        return ("_:", known.get(node))  # None: a blank node the graphs do not hold
    return node


def results_of(graph: Graph, report: Node | None, known: dict[BNode, object]) -> list[ResultKey]:
    """The top-level results of a report node (not nested ``sh:detail`` results)."""
    found: list[ResultKey] = []
    for result in graph.objects(report, SH.result):
        found.append((
            _term(graph.value(result, SH.focusNode), known),
            path_key(graph, graph.value(result, SH.resultPath)),
            _term(graph.value(result, SH.value), known),
            _term(graph.value(result, SH.sourceShape), known),
            graph.value(result, SH.sourceConstraintComponent),
            graph.value(result, SH.resultSeverity),
        ))
    return found


def _matches(expected: ResultKey, actual: ResultKey) -> bool:
    for e, a in zip(expected, actual, strict=True):
        if e == a:
            continue
        free = (isinstance(e, tuple) and isinstance(a, tuple) and e[0] == a[0] == "_:"
                and (e[1] is None or a[1] is None))
        if not free:
            return False
    return True


def same_results(expected: list[ResultKey], actual: list[ResultKey]) -> bool:
    """Multiset equality, a blank node the graphs do not hold matching any blank node."""
    left = Counter(expected)
    right = Counter(actual)
    common = left & right
    left -= common
    right -= common
    rest = list(right.elements())
    for key in left.elements():
        match = next((i for i, a in enumerate(rest) if _matches(key, a)), None)
        if match is None:
            return False
        rest.pop(match)
    return not rest


@dataclass
class Outcome:
    test: SuiteTest
    passed: bool
    detail: str


def run_test(test: SuiteTest, engine: Engine) -> Outcome:
    """Run one test with ``engine`` and compare its report graph with the expected one."""
    try:
        report_graph = engine(test.data, test.shapes)
    except Exception as exc:  # an engine that refuses a test fails it, with the reason
        return Outcome(test, False, f"{type(exc).__name__}: {exc}")
    reports = list(report_graph.subjects(RDF.type, SH.ValidationReport))
    if len(reports) != 1:
        return Outcome(test, False, f"{len(reports)} sh:ValidationReport nodes")
    conforms = report_graph.value(reports[0], SH.conforms)
    got_conforms = bool(conforms.toPython()) if isinstance(conforms, Literal) else None
    got = results_of(report_graph, reports[0], test.known)
    problems = []
    if got_conforms != test.conforms:
        problems.append(f"conforms {got_conforms}, expected {test.conforms}")
    if not same_results(test.expected, got):
        missing = Counter(test.expected) - Counter(got)
        extra = Counter(got) - Counter(test.expected)
        problems.append(f"results differ: missing {list(missing.elements())}, "
                        f"unexpected {list(extra.elements())}")
    return Outcome(test, not problems, "; ".join(problems))


def run_suite(root: Path, engine: Engine) -> Iterator[Outcome]:
    for test in load_suite(root):
        yield run_test(test, engine)


# -- engines --------------------------------------------------------------------------------
def ours(data: Graph, shapes: Graph) -> Graph:
    """``dskg validate DATA --shapes SHAPES``: the same call, its SHACL (Turtle) report graph."""
    return validate_with_shapes(data, context=Graph(), shapes=shapes).to_rdf()


def pyshacl_engine(data: Graph, shapes: Graph) -> Graph:
    from pyshacl import validate

    _conforms, report, _text = validate(data, shacl_graph=shapes, inference="none",
                                        advanced=False)
    assert isinstance(report, Graph)
    return report


def pyrudof_engine(data: Graph, shapes: Graph) -> Graph:
    """pyrudof's native engine, the graphs given as N-Triples (blank node labels kept)."""
    import pyrudof

    rudof = pyrudof.Rudof(pyrudof.RudofConfig())
    rudof.read_data(data.serialize(format="nt"), format=pyrudof.RDFFormat.NTriples)
    rudof.read_shacl(shapes.serialize(format="nt"), format=pyrudof.ShaclFormat.NTriples)
    rudof.validate_shacl()
    text = rudof.serialize_shacl_validation_results(
        format=pyrudof.ResultShaclValidationFormat.NTriples)
    return Graph().parse(data=text, format="nt")


ENGINES: dict[str, Engine] = {"ours": ours, "pySHACL": pyshacl_engine, "pyrudof": pyrudof_engine}
