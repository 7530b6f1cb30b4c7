"""The one place in ``kg.validation`` that touches pyoxigraph.

* :class:`Workspace`: a scratch in-memory store for validating one description, into which
  rdflib triples go with their blank-node labels kept (the store's parsers rename blank
  nodes, which would make results on blank nodes impossible to map back).
* :func:`scan_shapes`: what a shapes file targets, read with Oxigraph's fast parser, so a
  big shapes file (Gaia-X) is only parsed into rdflib when the data can meet its shapes.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pyoxigraph as ox
from rdflib import URIRef
from rdflib.term import Identifier

from kg.namespaces import OWL, RDF, RDFS, SH
from kg.store.base import Triple
from kg.store.embedded import EmbeddedStore
from kg.store.terms import from_ox, to_ox


class Workspace(EmbeddedStore):
    """An in-memory :class:`EmbeddedStore` that can add rdflib triples verbatim."""

    def __init__(self) -> None:
        super().__init__(None)

    def add_triples(self, graph: URIRef, triples: Iterable[Triple]) -> None:
        name = ox.NamedNode(str(graph))
        self._ox.extend(ox.Quad(to_ox(s), to_ox(p), to_ox(o), name) for s, p, o in triples)


@dataclass
class Signature:
    """What the shapes of a file can apply to, and the subclass axioms it states."""

    classes: set[URIRef] = field(default_factory=set)
    predicates: set[URIRef] = field(default_factory=set)
    nodes: set[Identifier] = field(default_factory=set)
    axioms: set[tuple[URIRef, URIRef]] = field(default_factory=set)


_TARGET_CLASS = ox.NamedNode(str(SH.targetClass))
_TARGET_NODE = ox.NamedNode(str(SH.targetNode))
_TARGET_PREDICATES = {ox.NamedNode(str(SH.targetSubjectsOf)),
                      ox.NamedNode(str(SH.targetObjectsOf))}
_SUBCLASS = ox.NamedNode(str(RDFS.subClassOf))
_TYPE = ox.NamedNode(str(RDF.type))
_NODE_SHAPE = ox.NamedNode(str(SH.NodeShape))
_CLASSES = {ox.NamedNode(str(RDFS.Class)), ox.NamedNode(str(OWL.Class))}
_FORMATS = {"turtle": ox.RdfFormat.TURTLE, "nquads": ox.RdfFormat.N_QUADS}


def scan_shapes(data: bytes, fmt: str, signature: Signature) -> None:
    """Add the targets and subclass axioms of one shapes document to ``signature``."""
    shapes: set[object] = set()
    classes: set[object] = set()
    for quad in ox.parse(data, format=_FORMATS[fmt]):
        p, o = quad.predicate, quad.object
        if p == _TARGET_CLASS and isinstance(o, ox.NamedNode):
            signature.classes.add(URIRef(o.value))
        elif p in _TARGET_PREDICATES and isinstance(o, ox.NamedNode):
            signature.predicates.add(URIRef(o.value))
        elif p == _TARGET_NODE:
            signature.nodes.add(from_ox(o))
        elif p == _SUBCLASS and isinstance(o, ox.NamedNode) and isinstance(
                quad.subject, ox.NamedNode):
            signature.axioms.add((URIRef(quad.subject.value), URIRef(o.value)))
        elif p == _TYPE and o == _NODE_SHAPE:
            shapes.add(quad.subject)
        elif p == _TYPE and o in _CLASSES:
            classes.add(quad.subject)
    for implicit in shapes & classes:  # a node shape that is a class targets its instances
        if isinstance(implicit, ox.NamedNode):
            signature.classes.add(URIRef(implicit.value))
