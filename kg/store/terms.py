"""Conversion between rdflib terms and pyoxigraph terms (used only inside kg.store)."""

from __future__ import annotations

import logging
import re
import warnings
from typing import Any

import pyoxigraph as ox
import rdflib.term as rdflib_term
from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier, Node

from kg.namespaces import constant

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"
XSD_BOOLEAN = "http://www.w3.org/2001/XMLSchema#boolean"


def _quiet_rdflib() -> None:
    """rdflib computes a Python value for every typed literal and, for an ill-typed one
    ("none"^^xsd:boolean, "2020-1-1"^^xsd:date), prints a warning or logs a traceback. An
    ill-typed literal is the user's data, kept as written and reported by validation
    (sh:datatype), so these messages are noise on the user's terminal: drop just them."""
    for table in (rdflib_term.XSDToPython, rdflib_term._toPythonMapping):
        table[URIRef(XSD_BOOLEAN)] = _xsd_boolean
    # pySHACL puts rdflib's own converter back after each run, reading it from here.
    rdflib_term._parseBoolean = _xsd_boolean
    warnings.filterwarnings("ignore", message="Parsing weird boolean", category=UserWarning)
    logging.getLogger("rdflib.term").addFilter(
        lambda record: not record.getMessage().startswith("Failed to convert Literal"))


def _xsd_boolean(value: str | bytes) -> bool:
    """XSD's boolean lexical mapping; anything else is ill-typed (rdflib's own maps it to
    false with a warning, so "none"^^xsd:boolean would not even count as ill-typed)."""
    text = value.decode() if isinstance(value, bytes) else value
    lexical = text.strip(" \t\r\n")  # the whiteSpace facet is "collapse"
    if lexical in ("true", "1"):
        return True
    if lexical in ("false", "0"):
        return False
    raise ValueError(f"{value!r} is not an xsd:boolean")


_quiet_rdflib()

#: Turtle's short forms of numbers and booleans: a lexical form outside them is written in
#: full ("012"^^xsd:integer is written 012, but "1"^^xsd:boolean must not become 1).
_XSD = "http://www.w3.org/2001/XMLSchema#"
_SHORT_FORMS = {
    URIRef(_XSD + "integer"): re.compile(r"[+-]?[0-9]+"),
    URIRef(_XSD + "decimal"): re.compile(r"[+-]?[0-9]*\.[0-9]+"),
    URIRef(_XSD + "double"): re.compile(
        r"[+-]?(?:[0-9]+\.[0-9]*[eE][+-]?[0-9]+|\.[0-9]+[eE][+-]?[0-9]+|[0-9]+[eE][+-]?[0-9]+)"),
    URIRef(XSD_BOOLEAN): re.compile(r"true|false"),
}
_rdflib_literal_n3 = Literal._literal_n3


def _exact_literal_n3(self: Literal, use_plain: bool = False,
                      qname_callback: Any = None) -> str:
    """rdflib's Turtle writer re-prints short-form literals from their value ("1e0" as
    1e+00, "1"^^xsd:boolean as 1, an integer): write the lexical form as it is when it is a
    Turtle short form of its datatype, else the full "lexical"^^datatype form."""
    if use_plain and self.datatype in _SHORT_FORMS:
        if _SHORT_FORMS[self.datatype].fullmatch(str(self)):
            return str(self)
        use_plain = False
    return _rdflib_literal_n3(self, use_plain, qname_callback)


Literal._literal_n3 = _exact_literal_n3  # type: ignore[method-assign]


def to_ox(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(str(term))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise TypeError(f"cannot store term {term!r}")


#: IRIs already converted (an rdflib URIRef costs a validity check each time it is made, and
#: answers repeat the same IRIs); emptied when full.
_IRIS: dict[str, URIRef] = {}
_MAX_IRIS = 200_000


def from_ox(term: object) -> Identifier:
    if type(term) is ox.NamedNode:
        value = term.value
        iri = _IRIS.get(value)
        if iri is None:
            if len(_IRIS) >= _MAX_IRIS:
                _IRIS.clear()
            iri = _IRIS[value] = constant(value) or URIRef(value)
        return iri
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return Literal(term.value)
        # normalize=False: the lexical form stays as written ("012", "1.50", "none").
        return Literal(term.value, datatype=URIRef(datatype), normalize=False)
    raise TypeError(f"unsupported term from the store: {term!r}")


OxTerm = ox.NamedNode | ox.BlankNode | ox.Literal


def ox_quad(s: OxTerm, p: OxTerm, o: OxTerm,
            graph: OxTerm | ox.DefaultGraph | None = None) -> ox.Quad:
    """A quad for the engine from converted terms; TypeError for a term out of place (a
    literal as subject or graph, a predicate that is not an IRI)."""
    if isinstance(s, ox.Literal) or not isinstance(p, ox.NamedNode) \
            or isinstance(graph, ox.Literal):
        raise TypeError(f"cannot store the quad {s} {p} {o} {graph}")
    return ox.Quad(s, p, o, graph)
