"""The validation engine: compiled shapes run as SPARQL on a store, all focus nodes at once.

``validate_graph`` puts one description (and its context) in a scratch in-memory store;
``validate_store`` runs on a staging store as it is (the bulk path). Either way each check
runs over every focus node in one query; checks that cannot find anything in this data
(their target classes or their predicate never occur) are skipped, which keeps a small
description's validation small whatever the shapes graph holds (Gaia-X's hundreds of shapes).
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Identifier, Node

from kg.namespaces import RDF, RDFS, SH, XSD
from kg.store import Store, memory_store
from kg.store.sparql_text import term_n3, values_list
from kg.validation.compiler import ShapesModel, Targets, read_shapes
from kg.validation.messages import default_message, expectation
from kg.validation.report import ValidationReport, ValidationResult, labels_from
from kg.validation.shapes import ShapeSet, shape_sets, subclass_closure, subclass_pairs
from kg.validation.sparqlgen import LITERALS_GRAPH, STORED, WRITTEN, Check, Compiler

DATA_GRAPH = URIRef("urn:dskg:validation:data")
CONTEXT_GRAPH = URIRef("urn:dskg:validation:context")
#: Checks per UNION query: fewer round trips for small data, bounded result sets for bulk.
BATCH = 20


@dataclass
class CompiledShapes:
    model: ShapesModel
    checks: list[Check]
    classes: set[URIRef]
    predicates: set[URIRef]


_lock = threading.Lock()
#: Recently compiled shapes graphs. Entries keep their graph alive, so an id() in a key can
#: never be reused by another graph while the entry exists.
_compiled: OrderedDict[tuple, tuple[Graph, CompiledShapes]] = OrderedDict()
_CACHE_SIZE = 16


def compile_shapes(shapes: Graph, extra_axioms: Iterable[tuple[URIRef, URIRef]] = ()
                   ) -> CompiledShapes:
    """Compile (once per shapes graph and set of extra subclass axioms) into checks."""
    extra = frozenset(extra_axioms)
    key = (id(shapes), len(shapes), extra)
    with _lock:
        if key in _compiled:
            _compiled.move_to_end(key)
            return _compiled[key][1]
    axioms = subclass_pairs(shapes) | extra
    model = read_shapes(shapes, subclass_closure(axioms))
    compiler = Compiler(model)
    checks = compiler.checks()
    for check in checks:
        shape, c = check.shape, check.constraint
        message = c.extra if c.component == SH.SPARQLConstraintComponent else ""
        check.message = message or shape.message() or default_message(c, shape)
        check.expected = expectation(c, shape)
        check.source = shape.node if isinstance(shape.node, URIRef) else shape.named
        check.source_shape = shape.node
    classes: set[URIRef] = set()
    predicates: set[URIRef] = set()
    for check in checks:
        targets = check.root.targets
        classes |= compiler.closure(targets.classes)
        predicates |= targets.subjects_of | targets.objects_of
        if check.needs_predicate is not None:
            predicates.add(check.needs_predicate)
    compiled = CompiledShapes(model, checks, classes, predicates)
    with _lock:
        _compiled[key] = (shapes, compiled)
        while len(_compiled) > _CACHE_SIZE:
            _compiled.popitem(last=False)
    return compiled


def _subclass_pairs(graph_triples: Iterable[tuple]) -> set[tuple[URIRef, URIRef]]:
    return {(s, o) for s, _, o in graph_triples
            if isinstance(s, URIRef) and isinstance(o, URIRef)}


def _relevant(check: Check, classes: set[URIRef], predicates: set[URIRef],
              compiled: CompiledShapes) -> bool:
    """False when the check cannot match: no focus node can exist, or its predicate is absent."""
    targets: Targets = check.root.targets
    reachable = (
        any(c in classes for c in _closure_of(compiled, targets.classes))
        or any(p in predicates for p in targets.subjects_of | targets.objects_of)
        or bool(targets.nodes)  # a named focus node need not occur in the data
    )
    if not reachable:
        return False
    return check.needs_predicate is None or check.needs_predicate in predicates


def _closure_of(compiled: CompiledShapes, classes: frozenset[URIRef]) -> set[URIRef]:
    found: set[URIRef] = set()
    for cls in classes:
        found |= compiled.model.subclasses.get(cls, {cls})
    return found


_KEY = "urn:dskg:check:"


def _run(store: Store, checks: list[Check]) -> list[ValidationResult]:
    """Run the checks (plain ones batched into UNION queries) and build their results."""
    results: list[ValidationResult] = []
    plain = [c for c in checks if c.query is None]
    for start in range(0, len(plain), BATCH):
        batch = plain[start:start + BATCH]
        branches = " UNION ".join(f"{{ {c.pattern} BIND(<{_KEY}{i}> AS ?k) }}"
                                  for i, c in enumerate(batch))
        query = (f"SELECT DISTINCT ?k ?this ?value ?rpath ?witness ?origin "
                 f"WHERE {{ {branches} }}")
        by_key = {f"{_KEY}{i}": c for i, c in enumerate(batch)}
        for k, focus, value, rpath, witness, _origin in store.query(query).rows:
            if focus is None:  # every pattern binds ?this
                continue
            results.append(_result(by_key[str(k)], focus, value, rpath, witness))
    for check in checks:
        if check.query is None:
            continue
        answer = store.query(check.query)
        index = {name: i for i, name in enumerate(answer.variables)}
        for row in answer.rows:
            focus = row[index["this"]] if "this" in index else None
            if focus is None:
                continue
            value = row[index["value"]] if "value" in index else None
            path = row[index["path"]] if "path" in index else None
            results.append(_result(check, focus, value, path))
    return results


def _result(check: Check, focus: Identifier, value: Identifier | None,
            dynamic_path: Identifier | None, witness: Identifier | None = None
            ) -> ValidationResult:
    path = dynamic_path if isinstance(dynamic_path, URIRef) else check.shape.path
    message = check.message
    if "{" in message:
        message = _fill(message, {"this": focus, "value": value, "path": path})
    return ValidationResult(
        focus=focus, path=path, severity=check.shape.severity, message=message, value=value,
        shape=check.source, component=check.constraint.component, expected=check.expected,
        source=check.source_shape, witness=witness)


def _fill(message: str, terms: dict[str, object]) -> str:
    """Substitute {?var} / {$var} in a shape's message, as SHACL-SPARQL allows."""
    for name, term in terms.items():
        if term is not None:
            text = str(term)
            message = message.replace(f"{{?{name}}}", text).replace(f"{{${name}}}", text)
    return message


def sets_for(classes: set[URIRef], predicates: set[URIRef], nodes: set[Identifier] | None,
              extra: set[tuple[URIRef, URIRef]]) -> list[ShapeSet]:
    """The shape sets whose targets can occur in data with these classes and predicates."""
    closure = subclass_closure(subclass_pairs() | extra)
    chosen = []
    for shape_set in shape_sets():
        sig = shape_set.signature
        targeted = set().union(*(closure.get(c, {c}) for c in sig.classes)) if sig.classes \
            else set()
        if (targeted & classes or sig.predicates & predicates
                or (sig.nodes and (nodes is None or sig.nodes & nodes))):
            chosen.append(shape_set)
    return chosen


def compiled_for(classes: set[URIRef], predicates: set[URIRef],
                 nodes: set[Identifier] | None, extra: set[tuple[URIRef, URIRef]],
                 shapes: Graph | None = None) -> list[CompiledShapes]:
    """The compiled shape sets (or ``shapes``) that can apply to such data."""
    graphs = [shapes] if shapes is not None else [
        s.graph() for s in sets_for(classes, predicates, nodes, extra)]
    return [compile_shapes(graph, extra) for graph in graphs]


def graph_profile(data: Graph, context: Graph | None = None
                  ) -> tuple[set[URIRef], set[URIRef], set[Identifier],
                             set[tuple[URIRef, URIRef]]]:
    """(classes, predicates, nodes, subclass axioms) of a description and its context."""
    graphs = [data] if context is None else [data, context]
    extra: set[tuple[URIRef, URIRef]] = set()
    for g in graphs:
        extra |= _subclass_pairs(g.triples((None, RDFS.subClassOf, None)))
    classes = {o for g in graphs for o in g.objects(None, RDF.type) if isinstance(o, URIRef)}
    predicates = {p for g in graphs for p in g.predicates() if isinstance(p, URIRef)}
    nodes = {n for g in graphs for n in g.subjects() if isinstance(n, Identifier)} | {
        o for o in data.objects() if isinstance(o, Identifier)}
    return classes, predicates, nodes, extra


def validate_graph(data: Graph, *, context: Graph | None = None,
                   shapes: Graph | None = None) -> ValidationReport:
    """Validate one description; no results about nodes only its context describes."""
    context = context if context is not None else Graph()
    classes, predicates, nodes, extra = graph_profile(data, context)
    checks = [check for c in compiled_for(classes, predicates, nodes, extra, shapes)
              for check in c.checks if _relevant(check, classes, predicates, c)]
    workspace = memory_store()  # a scratch in-memory store for this description
    workspace.add_triples(DATA_GRAPH, data)
    workspace.add_triples(CONTEXT_GRAPH, context)
    written = _as_stored([data, context, *([shapes] if shapes is not None else [])])
    retyped: list[tuple[Node, Node, Node]] = []
    for i, (stored, original) in enumerate(written.items()):
        if stored.datatype != original.datatype and original.datatype is not None:
            literal = URIRef(f"urn:dskg:literal:{i}")
            retyped += [(literal, STORED, stored), (literal, WRITTEN, original.datatype)]
    workspace.add_triples(LITERALS_GRAPH, retyped)
    elsewhere = context_only(data, context)
    results = [_as_written(r, written) for r in _run(workspace, checks)
               if r.focus not in elsewhere]
    return ValidationReport(results, labels_from([data, context]))


def _as_stored(graphs: list[Graph]) -> dict[Literal, Literal]:
    """Typed literals the store changes ("012"^^xsd:integer is kept as 12, "12"^^xsd:byte
    as an xsd:integer): the stored form -> the literal as written (found by storing them
    all once in a scratch store)."""
    candidates = list(dict.fromkeys(
        o for g in graphs for o in g.objects()
        if isinstance(o, Literal) and o.datatype is not None and o.datatype != XSD.string))
    if not candidates:
        return {}
    probe = memory_store()
    probe.add_triples(DATA_GRAPH, [(URIRef(f"urn:dskg:literal:{i}"), STORED, lit)
                                   for i, lit in enumerate(candidates)])
    found: dict[Literal, Literal] = {}
    for subject, stored in probe.query(
            f"SELECT ?s ?o WHERE {{ GRAPH {term_n3(DATA_GRAPH)} {{ ?s ?p ?o }} }}").rows:
        original = candidates[int(str(subject).rsplit(":", 1)[1])]
        if isinstance(stored, Literal) and (str(stored), stored.datatype) != (
                str(original), original.datatype):
            found.setdefault(stored, original)
    return found


def _as_written(result: ValidationResult, written: dict[Literal, Literal]
                ) -> ValidationResult:
    """The result with its focus and value as the data wrote them, not as stored."""
    focus = written.get(result.focus, result.focus) if isinstance(
        result.focus, Literal) else result.focus
    value = written.get(result.value, result.value) if isinstance(
        result.value, Literal) else result.value
    if focus is result.focus and value is result.value:
        return result
    return replace(result, focus=focus, value=value)


def context_only(data: Graph, context: Graph) -> set[Node]:
    """Nodes only the context describes: results about them belong to their own description,
    not to this one. Every other focus node is reported, whether the data describes it, only
    mentions it, or the shapes name it (an sh:targetNode without triples, a literal)."""
    return set(context.subjects()) - focus_nodes(data)


def validate_with_shapes(data: Graph, *, context: Graph, shapes: Graph) -> ValidationReport:
    """What ``dskg validate DATA --shapes SHAPES`` runs: the project's shapes, then the
    given ones (a shape the engine cannot evaluate raises ``ShapeError``)."""
    return validate_graph(data, context=context).merged(
        validate_graph(data, context=context, shapes=shapes))


def focus_nodes(data: Graph) -> set[Node]:
    """The nodes a description is about: its subjects, and the blank nodes it mentions."""
    return set(data.subjects()) | {o for o in data.objects() if isinstance(o, BNode)}


def validate_store(staging: Store, *, context: Graph | None = None,
                   shapes: Graph | None = None, list_warnings: bool = True
                   ) -> ValidationReport:
    """Validate the union of all named graphs of ``staging`` (the bulk path).

    With ``context``, its triples are added to ``staging`` in a scratch graph for the run
    and removed afterwards; results about nodes only the context describes are dropped.
    Without ``list_warnings``, results below Violation are counted in the engine, not
    listed (``ValidationReport.unlisted``): a 100k-dataset load has 400k of them.
    """
    if context is not None and len(context):
        staging.replace_graphs({CONTEXT_GRAPH: list(context)})
    try:
        extra = store_axioms(staging)
        compiled = compiled_for_store(staging, extra, shapes)
        classes = _present(staging, set().union(*(c.classes for c in compiled)), "?s a ?x")
        predicates = _present(staging, set().union(*(c.predicates for c in compiled)),
                              "?s ?x ?o")
        checks = [check for c in compiled for check in c.checks
                  if _relevant(check, classes, predicates, c)]
        counted = [] if list_warnings else [
            c for c in checks if c.query is None and c.shape.severity != "Violation"]
        results = _run(staging, [c for c in checks if c not in counted])
        unlisted = _count(staging, counted, with_context=context is not None and len(context) > 0)
        if context is not None and len(context):
            results = _drop_context_only(staging, results, set(context.subjects()))
    finally:
        if context is not None and len(context):
            staging.replace_graphs({}, drop=[CONTEXT_GRAPH])
    return ValidationReport(results, {}, unlisted)


def _count(store: Store, checks: list[Check], with_context: bool) -> Counter[str]:
    """Results of plain checks by severity, counted by the engine (one query per check;
    each distinct row is one result, as ``_run`` would list it). Focus nodes only the
    context describes are left out, as ``_drop_context_only`` does for listed results."""
    outside = (f"FILTER NOT EXISTS {{ GRAPH {term_n3(CONTEXT_GRAPH)} {{ ?this ?cp ?co }} }}"
               if with_context else "")
    counts: Counter[str] = Counter()
    for check in checks:
        rows = store.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ SELECT DISTINCT ?this ?value "
                           f"?rpath ?witness ?origin WHERE {{ {check.pattern} {outside} }} }}"
                           ).rows
        counts[check.shape.severity] += int(rows[0][0]) if rows and rows[0][0] else 0
    return counts


def store_axioms(staging: Store) -> set[tuple[URIRef, URIRef]]:
    return {(s, o) for s, o in staging.query(
        f"SELECT ?s ?o WHERE {{ ?s {term_n3(RDFS.subClassOf)} ?o }}").rows
        if isinstance(s, URIRef) and isinstance(o, URIRef)}


def compiled_for_store(staging: Store, extra: set[tuple[URIRef, URIRef]],
                       shapes: Graph | None = None) -> list[CompiledShapes]:
    """The compiled shape sets whose targets occur in ``staging`` (two probing queries)."""
    if shapes is not None:
        return [compile_shapes(shapes, extra)]
    closure = subclass_closure(subclass_pairs() | extra)
    wanted_classes: set[URIRef] = set()
    wanted_predicates: set[URIRef] = set()
    for shape_set in shape_sets():
        for cls in shape_set.signature.classes:
            wanted_classes |= closure.get(cls, {cls})
        wanted_predicates |= shape_set.signature.predicates
    classes = _present(staging, wanted_classes, "?s a ?x")
    predicates = _present(staging, wanted_predicates, "?s ?x ?o")
    return compiled_for(classes, predicates, None, extra)


def _present(store: Store, terms: set[URIRef], pattern: str) -> set[URIRef]:
    """Which of ``terms`` occur in ``pattern`` (one query, one index probe per term)."""
    if not terms:
        return set()
    query = (f"SELECT ?x WHERE {{ {values_list('x', sorted(terms))} "
             f"FILTER EXISTS {{ {pattern} }} }}")
    return {row[0] for row in store.query(query).rows if isinstance(row[0], URIRef)}


def _drop_context_only(store: Store, results: list[ValidationResult],
                       context_subjects: set[Node]) -> list[ValidationResult]:
    suspects = {r.focus for r in results if r.focus in context_subjects
                and isinstance(r.focus, URIRef)}
    if not suspects:
        return results
    query = (f"SELECT DISTINCT ?s WHERE {{ {values_list('s', sorted(suspects))} "
             f"GRAPH ?g {{ ?s ?p ?o }} "
             f"FILTER(?g != {term_n3(CONTEXT_GRAPH)}) }}")
    own = {row[0] for row in store.query(query).rows}
    return [r for r in results if r.focus not in suspects or r.focus in own]

