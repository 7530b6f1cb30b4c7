"""Validation reports: one model, three renderings (JSON, text for people, SHACL RDF)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.paths import Path
from rdflib.term import Identifier, Node

from kg.namespaces import PREFIXES, RDF, SH, compact
from kg.vocabulary import LABEL_PROPERTIES

SEVERITIES = ("Violation", "Warning", "Info")
_SEVERITY_IRI = {name: SH[name] for name in SEVERITIES}
_SEVERITY_ORDER = {name: i for i, name in enumerate(SEVERITIES)}

#: A property path as the shapes state it: an IRI, or an rdflib path object.
PathValue = URIRef | Path


def path_text(path: PathValue | None) -> str | None:
    """A path in SPARQL property-path syntax (a plain IRI for a predicate path)."""
    if path is None:
        return None
    if isinstance(path, URIRef):
        return str(path)
    return path.n3()


#: Prefixes for people reading reports: the project's, plus the shapes' own namespaces.
_SHORT = {**PREFIXES, "dskgsh": "https://w3id.org/dskg/shapes#",
          "dcatap": "http://data.europa.eu/r5r/", "dcatapsh": "http://data.europa.eu/r5r#",
          "semicsh": "https://semiceu.github.io/DCAT-AP/releases/3.0.0/html/shacl/shapes.ttl#"}


def short(term: Node | Path | None) -> str:
    """A compact name for people: a CURIE where a known prefix fits, else the N3 form."""
    if term is None:
        return "-"
    if isinstance(term, Path):
        return term.n3()
    if isinstance(term, URIRef):
        value = str(term)
        name = compact(value, _SHORT)
        return name if name != value else f"<{value}>"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        text = str(term)
        if len(text) > 80:
            text = text[:77] + "..."
        shown = f'"{text}"'
        if term.language:
            return f"{shown}@{term.language}"
        if term.datatype is not None:
            return f"{shown}^^{short(term.datatype)}"
        return shown
    return str(term)


@dataclass(frozen=True)
class ValidationResult:
    """One result: which node, which property, how bad, and which constraint said so."""

    focus: Node
    path: PathValue | None
    severity: str
    message: str
    value: Node | None
    shape: Node | None
    component: URIRef
    #: What the constraint asked for, for people ("at least 1 value", "class org:Organization").
    expected: str = ""
    #: The shape whose constraint produced the result (SHACL's sh:sourceShape, a blank node
    #: for an unnamed property shape); ``shape`` is the nearest named one, for people.
    source: Node | None = None
    #: What tells apart results that share focus and value: the duplicated language of
    #: sh:uniqueLang, the other value of sh:lessThan (SHACL reports one result per each).
    witness: Identifier | None = None

    def key(self) -> tuple[str, str | None, str, str]:
        """The identity used to compare engines: focus, path, severity, component."""
        return (str(self.focus), path_text(self.path), self.severity, str(self.component))

    def to_json(self) -> dict[str, Any]:
        return {
            "focus": str(self.focus),
            "path": path_text(self.path),
            "severity": self.severity,
            "message": self.message,
            "value": None if self.value is None else str(self.value),
            "shape": None if self.shape is None else str(self.shape),
        }


@dataclass
class ValidationReport:
    """All results of one validation run.

    Two verdicts: ``conforms`` (the project's admission policy, the CLI's exit code and the
    JSON ``conforms``) is False only on a Violation, so warnings do not fail; SHACL's own
    ``sh:conforms`` (``shacl_conforms``, written in the Turtle report) is False on any result.

    A report is built once and read many times (a bulk load asks ``conforms`` per graph), so
    the counts are computed on first use and kept: do not add results afterwards.
    """

    results: list[ValidationResult] = field(default_factory=list)
    #: Display names of nodes (skos:prefLabel, foaf:name, dct:title), for the text report.
    labels: dict[Node, str] = field(default_factory=dict)
    #: Results counted but not listed, by severity (a bulk load counts its warnings).
    unlisted: Counter[str] = field(default_factory=Counter)

    def merged(self, other: ValidationReport) -> ValidationReport:
        """One report holding the results of both (runs with different shapes)."""
        return ValidationReport([*self.results, *other.results], {**self.labels, **other.labels},
                                self.unlisted + other.unlisted)

    @cached_property
    def _counts(self) -> Counter[str]:
        return Counter(r.severity for r in self.results) + self.unlisted

    @property
    def conforms(self) -> bool:
        return self._counts["Violation"] == 0

    @property
    def shacl_conforms(self) -> bool:
        """SHACL's verdict: true only when there is no result at all, whatever its severity."""
        return not self.results and not sum(self.unlisted.values())

    def count(self, severity: str) -> int:
        return self._counts[severity]

    def keys(self) -> set[tuple[str, str | None, str, str]]:
        return {r.key() for r in self.results}

    def sorted_results(self) -> list[ValidationResult]:
        return sorted(self.results, key=lambda r: (
            str(r.focus), _SEVERITY_ORDER.get(r.severity, 9), path_text(r.path) or "",
            str(r.component), str(r.value)))

    # -- renderings ------------------------------------------------------------------
    def to_json(self) -> dict[str, Any]:
        return {"conforms": self.conforms,
                "results": [r.to_json() for r in self.sorted_results()]}

    def to_text(self, labels: Mapping[Node, str] | None = None) -> str:
        """A report for people, grouped by node: label and IRI, then one line per result."""
        names = {**self.labels, **(labels or {})}
        violations, warnings, infos = (self.count(s) for s in SEVERITIES)
        verdict = "CONFORMS" if self.conforms else "DOES NOT CONFORM"
        lines = [f"{verdict}: {violations} violation(s), {warnings} warning(s), "
                 f"{infos} info(s)"]
        groups: dict[Node, list[ValidationResult]] = {}
        for result in self.sorted_results():
            groups.setdefault(result.focus, []).append(result)
        for focus, results in groups.items():
            label = names.get(focus)
            heading = f"{label} ({short(focus)})" if label else short(focus)
            lines.append("")
            lines.append(heading)
            for r in results:
                prop = short(r.path) if r.path is not None else "(the node itself)"
                lines.append(f"  [{r.severity}] {prop}: expected {r.expected or 'to conform'};"
                             f" found {_found(r)}")
                if r.message and not r.message.endswith(r.expected):
                    lines.append(f"      {r.message}")
                lines.append(f"      (shape {short(r.shape)}, {short(r.component)})")
        return "\n".join(lines) + "\n"

    def to_rdf(self) -> Graph:
        """The report as a SHACL ``sh:ValidationReport`` graph."""
        graph = Graph()
        for prefix in ("sh", "dskg", "rdf", "xsd"):
            graph.bind(prefix, PREFIXES[prefix])
        report = BNode()
        graph.add((report, RDF.type, SH.ValidationReport))
        graph.add((report, SH.conforms, Literal(self.shacl_conforms)))
        for r in self.sorted_results():
            node = BNode()
            graph.add((report, SH.result, node))
            graph.add((node, RDF.type, SH.ValidationResult))
            graph.add((node, SH.focusNode, r.focus))
            graph.add((node, SH.resultSeverity, severity_iri(r.severity)))
            graph.add((node, SH.sourceConstraintComponent, r.component))
            if r.path is not None:
                graph.add((node, SH.resultPath, _path_node(graph, r.path)))
            if r.value is not None:
                graph.add((node, SH.value, r.value))
            source = r.source if r.source is not None else r.shape
            if source is not None:
                graph.add((node, SH.sourceShape, source))
            if r.message:
                graph.add((node, SH.resultMessage, Literal(r.message)))
        return graph


def severity_iri(severity: str) -> URIRef:
    """sh:Violation, sh:Warning, sh:Info by name; any other severity is kept as its IRI."""
    return _SEVERITY_IRI.get(severity) or URIRef(severity)


def _path_node(graph: Graph, path: PathValue) -> Node:
    """Write a path back in SHACL's path syntax (inverse, sequence, alternative, repeat)."""
    from rdflib.collection import Collection
    from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath

    if isinstance(path, URIRef):
        return path
    node = BNode()
    if isinstance(path, InvPath):
        graph.add((node, SH.inversePath, _path_node(graph, path.arg)))
    elif isinstance(path, SequencePath | AlternativePath):
        items = [_path_node(graph, p) for p in path.args]
        if isinstance(path, SequencePath):
            Collection(graph, node, items)
        else:
            head = BNode()
            Collection(graph, head, items)
            graph.add((node, SH.alternativePath, head))
    elif isinstance(path, MulPath):
        kind = {"*": SH.zeroOrMorePath, "+": SH.oneOrMorePath, "?": SH.zeroOrOnePath}[path.mod]
        graph.add((node, kind, _path_node(graph, path.path)))
    return node


def _found(result: ValidationResult) -> str:
    if result.value is not None:
        return short(result.value)
    local = str(result.component).rsplit("#", 1)[-1]
    return {"MinCountConstraintComponent": "too few values",
            "MaxCountConstraintComponent": "too many values"}.get(local, "nothing")


def labels_from(graphs: Iterable[Graph]) -> dict[Node, str]:
    """Display names for nodes, preferring English, from the usual label properties."""
    ranked = LABEL_PROPERTIES
    found: dict[Node, tuple[int, str]] = {}
    for graph in graphs:
        for rank, prop in enumerate(ranked):
            for subject, label in graph.subject_objects(prop):
                if not isinstance(label, Literal):
                    continue
                score = rank * 2 + (0 if label.language in (None, "en") else 1)
                if subject not in found or score < found[subject][0]:
                    found[subject] = (score, str(label))
    return {node: text for node, (_, text) in found.items()}
