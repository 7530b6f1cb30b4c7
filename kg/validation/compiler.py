"""Read a SHACL shapes graph into a small model the SPARQL engine compiles from.

Only what SHACL defines is read; unknown ``sh:`` terms the official files use by mistake
(``sh:shape``) or for documentation (``sh:name``, ``sh:order``, ``sh:defaultValue``) are
ignored, as pySHACL ignores them. A SHACL component the engine cannot evaluate raises
:class:`ShapeError`, so no constraint is ever silently skipped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Identifier, Node

from kg.namespaces import OWL, RDF, RDFS, SH, XSD
from kg.validation.paths import ShapeError, parse_path
from kg.validation.report import PathValue

_SEVERITY_NAMES = {SH.Violation: "Violation", SH.Warning: "Warning", SH.Info: "Info"}

#: Parameters with one value that make a constraint (parameter -> component).
SIMPLE_PARAMETERS: dict[URIRef, URIRef] = {
    SH["class"]: SH.ClassConstraintComponent,
    SH.datatype: SH.DatatypeConstraintComponent,
    SH.nodeKind: SH.NodeKindConstraintComponent,
    SH.minCount: SH.MinCountConstraintComponent,
    SH.maxCount: SH.MaxCountConstraintComponent,
    SH.minExclusive: SH.MinExclusiveConstraintComponent,
    SH.minInclusive: SH.MinInclusiveConstraintComponent,
    SH.maxExclusive: SH.MaxExclusiveConstraintComponent,
    SH.maxInclusive: SH.MaxInclusiveConstraintComponent,
    SH.minLength: SH.MinLengthConstraintComponent,
    SH.maxLength: SH.MaxLengthConstraintComponent,
    SH.pattern: SH.PatternConstraintComponent,
    SH.languageIn: SH.LanguageInConstraintComponent,
    SH.uniqueLang: SH.UniqueLangConstraintComponent,
    SH.equals: SH.EqualsConstraintComponent,
    SH.disjoint: SH.DisjointConstraintComponent,
    SH.lessThan: SH.LessThanConstraintComponent,
    SH.lessThanOrEquals: SH.LessThanOrEqualsConstraintComponent,
    SH["not"]: SH.NotConstraintComponent,
    SH["and"]: SH.AndConstraintComponent,
    SH["or"]: SH.OrConstraintComponent,
    SH.xone: SH.XoneConstraintComponent,
    SH.node: SH.NodeConstraintComponent,
    SH.hasValue: SH.HasValueConstraintComponent,
    SH["in"]: SH.InConstraintComponent,
}
#: SHACL features this engine does not evaluate (a shape using one is refused, not ignored).
UNSUPPORTED = (SH.target, SH.rule)


@dataclass(frozen=True)
class Targets:
    classes: frozenset[URIRef] = frozenset()
    nodes: frozenset[Identifier] = frozenset()
    subjects_of: frozenset[URIRef] = frozenset()
    objects_of: frozenset[URIRef] = frozenset()

    def __bool__(self) -> bool:
        return bool(self.classes or self.nodes or self.subjects_of or self.objects_of)


@dataclass(eq=False)
class Qualified:
    """The parameters of sh:qualifiedMinCount / sh:qualifiedMaxCount: how many values
    (``count``) conform to ``shape`` and, with sh:qualifiedValueShapesDisjoint, to none of
    the ``siblings`` (the qualified value shapes of the other property shapes of the same
    parents)."""

    shape: Shape
    count: int
    siblings: list[Shape]


@dataclass(eq=False)
class Constraint:
    """One constraint component of one shape: ``parameter`` holds its value(s)."""

    component: URIRef
    parameter: Any
    #: sh:flags for sh:pattern; the constraint's own sh:message for sh:sparql.
    extra: Any = None


@dataclass(eq=False)
class Shape:
    node: Node
    path: PathValue | None
    severity: str = "Violation"
    messages: tuple[Literal, ...] = ()
    constraints: list[Constraint] = field(default_factory=list)
    properties: list[Shape] = field(default_factory=list)
    targets: Targets = field(default_factory=Targets)
    #: The nearest IRI-named shape (the shape itself, or the node shape holding it).
    named: Identifier | None = None

    def message(self) -> str:
        return pick_message(self.messages)


def pick_message(messages: Iterable[Literal]) -> str:
    """The English (or untagged) message when there is one, else any."""
    ordered = sorted(messages, key=lambda m: (m.language not in (None, "en"), str(m)))
    return str(ordered[0]) if ordered else ""


@dataclass
class ShapesModel:
    """Every shape with targets (the roots), each with its nested shapes resolved."""

    roots: list[Shape]
    graph: Graph
    #: Class -> itself and its subclasses, from the subclass axioms known at compile time.
    subclasses: dict[URIRef, set[URIRef]]


class _Reader:
    def __init__(self, graph: Graph) -> None:
        self.g = graph
        self.shapes: dict[Node, Shape] = {}
        # RDF lists read from two dictionaries: rdflib's Collection is slow on long lists.
        self.first = dict(graph.subject_objects(RDF.first))
        self.rest = dict(graph.subject_objects(RDF.rest))

    def list_of(self, node: Node) -> list[Node]:
        items: list[Node] = []
        seen: set[Node] = set()
        while node != RDF.nil:
            if node not in self.first or node in seen:
                raise ShapeError(f"expected a well-formed RDF list at {node!r}")
            seen.add(node)
            items.append(self.first[node])
            node = self.rest.get(node, RDF.nil)
        return items

    def shape(self, node: Node, parent: Shape | None = None) -> Shape:
        if node in self.shapes:
            return self.shapes[node]
        g = self.g
        path_node = g.value(node, SH.path)
        severity = g.value(node, SH.severity)
        shape = Shape(
            node=node,
            path=None if path_node is None else parse_path(g, path_node),
            # sh:Violation/Warning/Info by name; SHACL allows any other IRI as a severity.
            severity=_SEVERITY_NAMES.get(severity, str(severity)) if isinstance(
                severity, URIRef) else "Violation",
            messages=tuple(m for m in g.objects(node, SH.message) if isinstance(m, Literal)),
            targets=self.targets(node),
        )
        shape.named = node if isinstance(node, URIRef) else (parent.named if parent else None)
        self.shapes[node] = shape  # before recursing: shapes may refer to each other
        for unsupported in UNSUPPORTED:
            if (node, unsupported, None) in g:
                raise ShapeError(f"shape {node} uses {unsupported}, which is not supported")
        self.read_constraints(shape)
        for prop in g.objects(node, SH.property):
            if (prop, SH.deactivated, Literal(True)) not in g:
                shape.properties.append(self.shape(prop, shape))
        return shape

    def targets(self, node: Node) -> Targets:
        g = self.g
        classes = set(g.objects(node, SH.targetClass))
        if (node, RDF.type, RDFS.Class) in g or (node, RDF.type, OWL.Class) in g:
            classes.add(node)  # implicit class target
        return Targets(
            classes=frozenset(c for c in classes if isinstance(c, URIRef)),
            nodes=frozenset(n for n in g.objects(node, SH.targetNode)
                            if isinstance(n, Identifier)),
            subjects_of=frozenset(p for p in g.objects(node, SH.targetSubjectsOf)
                                  if isinstance(p, URIRef)),
            objects_of=frozenset(p for p in g.objects(node, SH.targetObjectsOf)
                                 if isinstance(p, URIRef)),
        )

    def read_constraints(self, shape: Shape) -> None:
        g, node = self.g, shape.node
        for parameter, component in SIMPLE_PARAMETERS.items():
            values = list(g.objects(node, parameter))
            if not values:
                continue
            for value in values:
                shape.constraints.append(Constraint(component, self.parameter(
                    parameter, value, shape), self.extra(parameter, node)))
        qualified = g.value(node, SH.qualifiedValueShape)
        if qualified is not None:
            self.read_qualified(shape, qualified)
        if (node, SH.closed, Literal(True)) in g:
            if shape.path is not None:
                raise ShapeError(f"sh:closed on property shape {node} is not supported")
            ignored: set[Node] = set()
            for lst in g.objects(node, SH.ignoredProperties):
                ignored.update(self.list_of(lst))
            allowed = {p for prop in g.objects(node, SH.property)
                       if isinstance(p := g.value(prop, SH.path), URIRef)}
            allowed |= {i for i in ignored if isinstance(i, URIRef)}
            shape.constraints.append(Constraint(SH.ClosedConstraintComponent,
                                                frozenset(allowed)))
        for sparql in g.objects(node, SH.sparql):
            if (sparql, SH.deactivated, Literal(True)) in g:
                continue
            message = pick_message(m for m in g.objects(sparql, SH.message)
                                   if isinstance(m, Literal))
            shape.constraints.append(Constraint(SH.SPARQLConstraintComponent,
                                                self.sparql_text(sparql), message))

    def read_qualified(self, shape: Shape, qualified: Node) -> None:
        g, node = self.g, shape.node
        if shape.path is None:
            raise ShapeError(f"sh:qualifiedValueShape on node shape {node}")
        siblings: list[Shape] = []
        if (node, SH.qualifiedValueShapesDisjoint, Literal(True)) in g:
            for parent in g.subjects(SH.property, node):
                for other in g.objects(parent, SH.property):
                    sibling = g.value(other, SH.qualifiedValueShape)
                    if sibling is not None and sibling != qualified and sibling not in [
                            s.node for s in siblings]:
                        siblings.append(self.shape(sibling, shape))
        target = self.shape(qualified, shape)
        for parameter, local in ((SH.qualifiedMinCount, "QualifiedMinCountConstraintComponent"),
                                 (SH.qualifiedMaxCount, "QualifiedMaxCountConstraintComponent")):
            value = g.value(node, parameter)
            if value is None:
                continue
            if not isinstance(value, Literal) or not isinstance(value.toPython(), int):
                raise ShapeError(f"{parameter} of {node} must be an integer")
            shape.constraints.append(Constraint(SH[local], Qualified(
                target, int(value.toPython()), siblings)))

    def parameter(self, parameter: URIRef, value: Node, shape: Shape) -> Any:
        if parameter in (SH["and"], SH["or"], SH.xone):
            return [self.shape(member, shape) for member in self.list_of(value)]
        if parameter in (SH["not"], SH.node):
            return self.shape(value, shape)
        if parameter in (SH["in"], SH.languageIn):
            return self.list_of(value)
        if parameter in (SH.minCount, SH.maxCount, SH.minLength, SH.maxLength):
            if not isinstance(value, Literal) or not isinstance(value.toPython(), int):
                raise ShapeError(f"{parameter} of {shape.node} must be an integer")
            return int(value.toPython())
        if parameter == SH.uniqueLang:
            # Only "true"^^xsd:boolean activates it; SHACL names no other form ("1" does not).
            return isinstance(value, Literal) and value.datatype == XSD.boolean and str(
                value) == "true"
        return value

    def extra(self, parameter: URIRef, node: Node) -> Any:
        if parameter == SH.pattern:
            flags = self.g.value(node, SH.flags)
            return str(flags) if flags is not None else ""
        return None

    def sparql_text(self, constraint: Node) -> str:
        select = self.g.value(constraint, SH.select)
        if select is None:
            raise ShapeError(f"SPARQL constraint {constraint} has no sh:select")
        prefixes = []
        for holder in self.g.objects(constraint, SH.prefixes):
            for declaration in self.g.objects(holder, SH.declare):
                prefix = self.g.value(declaration, SH.prefix)
                namespace = self.g.value(declaration, SH.namespace)
                if prefix is not None and namespace is not None:
                    prefixes.append(f"PREFIX {prefix}: <{namespace}>")
        return "\n".join(sorted(set(prefixes))) + "\n" + str(select)


def read_shapes(graph: Graph, subclasses: dict[URIRef, set[URIRef]]) -> ShapesModel:
    """Every active shape with a target, in a stable order."""
    reader = _Reader(graph)
    candidates: set[Node] = set()
    for predicate in (SH.targetClass, SH.targetNode, SH.targetSubjectsOf, SH.targetObjectsOf):
        candidates.update(graph.subjects(predicate, None))
    for kind in (RDFS.Class, OWL.Class):
        candidates.update(s for s in graph.subjects(RDF.type, kind)
                          if (s, RDF.type, SH.NodeShape) in graph)
    roots = []
    for node in sorted(candidates, key=lambda n: (isinstance(n, BNode), str(n))):
        if (node, SH.deactivated, Literal(True)) in graph:
            continue
        roots.append(reader.shape(node))
    return ShapesModel(roots=roots, graph=graph, subclasses=subclasses)
