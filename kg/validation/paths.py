"""SHACL property paths: read from a shapes graph into rdflib path objects, and to SPARQL."""

from __future__ import annotations

from typing import Literal

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.paths import AlternativePath, InvPath, MulPath, SequencePath
from rdflib.term import Node

from kg.namespaces import RDF, SH
from kg.validation.report import PathValue

_REPEAT: dict[URIRef, Literal["*", "+", "?"]] = {
    SH.zeroOrMorePath: "*", SH.oneOrMorePath: "+", SH.zeroOrOnePath: "?"}


class ShapeError(ValueError):
    """A shapes graph that is not well-formed SHACL (a bug in shapes/, not user input)."""


def parse_path(graph: Graph, node: Node) -> PathValue:
    """The path object for a ``sh:path`` value (predicate, inverse, sequence, ...)."""
    if isinstance(node, URIRef):
        return node
    if not isinstance(node, BNode):
        raise ShapeError(f"not a SHACL path: {node!r}")
    if (node, RDF.first, None) in graph:
        items = [parse_path(graph, item) for item in Collection(graph, node)]
        if len(items) < 2:
            raise ShapeError("a sequence path needs at least two members")
        return SequencePath(*items)
    inverse = graph.value(node, SH.inversePath)
    if inverse is not None:
        return InvPath(parse_path(graph, inverse))
    alternatives = graph.value(node, SH.alternativePath)
    if alternatives is not None:
        return AlternativePath(*[parse_path(graph, i) for i in Collection(graph, alternatives)])
    for predicate, mod in _REPEAT.items():
        inner = graph.value(node, predicate)
        if inner is not None:
            return MulPath(parse_path(graph, inner), mod)
    raise ShapeError(f"unknown SHACL path form at {node!r}")


def sparql_path(path: PathValue) -> str:
    """The path in SPARQL 1.1 property-path syntax."""
    if isinstance(path, URIRef):
        return f"<{path}>"
    if isinstance(path, InvPath):
        return f"^({sparql_path(path.arg)})"
    if isinstance(path, SequencePath):
        return "/".join(f"({sparql_path(p)})" for p in path.args)
    if isinstance(path, AlternativePath):
        return "|".join(f"({sparql_path(p)})" for p in path.args)
    if isinstance(path, MulPath):
        return f"({sparql_path(path.path)}){path.mod}"
    raise ShapeError(f"unsupported path {path!r}")
