"""The validation report for people: grouped by node, each problem in words.

Validation runs the write path's own check (``validate_descriptions``: the shapes plus what
the store knows about the referenced nodes) on parsed input, and stores nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from kg.errors import BadRequest
from kg.namespaces import RDF
from kg.rdfio import parse_graph, require_statements
from kg.services.context import ServiceContext
from kg.validation import ValidationReport
from kg.validation.report import path_text, short
from kg.web.labels import lookup, property_label
from kg.write import Description, validate_descriptions

FORMATS = {"auto": "Detect", "turtle": "Turtle", "json-ld": "JSON-LD", "xml": "RDF/XML",
           "ntriples": "N-Triples", "trig": "TriG", "nquads": "N-Quads"}
_EXTENSIONS = {".ttl": "turtle", ".jsonld": "json-ld", ".json": "json-ld", ".rdf": "xml",
               ".xml": "xml", ".nt": "ntriples", ".trig": "trig", ".nq": "nquads"}
MAX_BYTES = 5 * 1024 * 1024


@dataclass
class Problem:
    severity: str
    prop: str | None
    prop_label: str
    text: str
    detail: str | None
    shape: str


@dataclass
class NodeReport:
    label: str
    iri: str
    kind: str
    problems: list[Problem] = field(default_factory=list)

    @property
    def worst(self) -> str:
        severities = {p.severity for p in self.problems}
        return next((s for s in ("Violation", "Warning", "Info") if s in severities), "Info")


@dataclass
class Report:
    conforms: bool
    violations: int
    warnings: int
    infos: int
    nodes: list[NodeReport]
    triples: int = 0


def detect_format(data: bytes, filename: str | None = None, chosen: str = "auto") -> str:
    if chosen != "auto":
        if chosen not in FORMATS:
            raise BadRequest(f"unknown format {chosen!r}; use one of {', '.join(FORMATS)}")
        return chosen
    if filename:
        for ext, fmt in _EXTENSIONS.items():
            if filename.lower().endswith(ext):
                return fmt
    head = data.lstrip()[:200]
    if head.startswith((b"{", b"[")):
        return "json-ld"
    if head.startswith(b"<?xml") or b"<rdf:RDF" in head:
        return "xml"
    return "turtle"


def _words(label: str, expected: str, message: str, value: Node | None) -> tuple[str, str | None]:
    if value is None and expected.startswith("at least"):
        return f"{label}: none given (expected {expected}).", None
    found = short(value) if value is not None else "nothing"
    text = f"{label}: expected {expected or message}; found {found}."
    detail = message if message and message not in text else None
    return text, detail


def report_view(ctx: ServiceContext, report: ValidationReport, data: Graph) -> Report:
    """The report grouped by focus node, with labels from the data and the store."""
    iris = {r.focus for r in report.results} | {r.path for r in report.results
                                                 if isinstance(r.path, URIRef)}
    names = lookup(ctx, [n for n in iris if isinstance(n, URIRef)])
    local = {**report.labels}
    nodes: dict[Node, NodeReport] = {}
    for result in report.sorted_results():
        focus = result.focus
        if focus not in nodes:
            types = [t for t in data.objects(focus, RDF.type) if isinstance(t, URIRef)]
            kind = names.label(types[0]) if types else ""
            label = local.get(focus) or (names.labels.get(focus) if isinstance(
                focus, URIRef) else None)
            if label is None:
                label = f"{kind or 'Node'} without a name"
            nodes[focus] = NodeReport(label, "" if isinstance(focus, BNode) else str(focus),
                                      kind)
        prop = result.path if isinstance(result.path, URIRef) else None
        prop_name = property_label(prop) if prop is not None else (
            path_text(result.path) or "The node")
        text, detail = _words(prop_name, result.expected, result.message, result.value)
        nodes[focus].problems.append(Problem(
            result.severity, short(result.path) if result.path is not None else None,
            prop_name, text, detail, short(result.shape)))
    return Report(report.conforms, report.count("Violation"), report.count("Warning"),
                  report.count("Info"), list(nodes.values()), len(data))


def validate_bytes(ctx: ServiceContext, data: bytes, fmt: str) -> tuple[Report, Graph]:
    """Parse and validate (with store context) without storing. ParseError on bad input."""
    if not data.strip():
        raise BadRequest("nothing to validate: paste a description or choose a file")
    if len(data) > MAX_BYTES:
        raise BadRequest(f"the input is larger than {MAX_BYTES // (1024 * 1024)} MiB; use "
                         "`dskg validate` for big files")
    graph = parse_graph(data, fmt, f"{ctx.base_iri}id/")
    require_statements(graph, "the input")
    report = validate_descriptions(ctx.store, [Description(URIRef(""), graph)])
    return report_view(ctx, report, graph), graph

