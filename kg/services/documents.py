"""A resource's description: where it lives, its triples, its ETag, its serialisations.

A resource described by its own named graph (the graph is named after it, or the meta graph
says the graph ``dskg:describes`` it) is that whole graph. A resource that only appears inside
another description (an offer inside a dataset's description) is its concise bounded
description in that graph: its triples and, recursively, those of its blank nodes.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from pyld import jsonld
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.compare import to_canonical_graph
from rdflib.term import Node

from kg.errors import NotAcceptable
from kg.jsonld import DSKG_CONTEXT_URL, document_loader, dskg_context
from kg.lexical import read_description
from kg.namespaces import DCT, DSKG, META_GRAPH, PREFIXES, PROV, RDF, RDFS, SKOS, XSD
from kg.store import Store
from kg.vocabulary import LABEL_PROPERTIES

#: Media types a description is served as (first = default for */*).
RDF_MEDIA = {
    "application/ld+json": "json-ld",
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/rdf+xml": "xml",
}
#: Short names used in ETags, so every representation has its own strong tag.
#: JSON-LD keys whose values are never node references.
_OPAQUE_KEYS = frozenset({"id", "type", "@value", "@language", "@type", "@direction"})
_TAG_SUFFIX = {"json-ld": "jsonld", "turtle": "ttl", "nt": "nt", "xml": "rdf", "html": "html"}

DESCRIPTION_PROPERTIES = (DCT.description, SKOS.definition, RDFS.comment)


@dataclass
class Located:
    """Where a resource is described."""

    iri: URIRef
    graph: URIRef
    #: True when the graph is the resource's own description (PUT/DELETE act on it)
    own: bool


@dataclass(frozen=True)
class Stewardship:
    """Who owns a description and how it was last written (from its provenance record)."""

    owner: URIRef
    written_at: str | None = None
    #: the role of the last writer (admin, authority, steward, peer, applicant)
    writer_role: str | None = None
    #: the agent of the last write: a token subject, shown to admins only
    agent: URIRef | None = None


@dataclass
class Document:
    """A resource's description, ready to serialise."""

    iri: URIRef
    graph: Graph
    location: Located
    etag: str = ""
    types: list[URIRef] = field(default_factory=list)
    stewardship: Stewardship | None = None


def locate(store: Store, iri: URIRef) -> Located | None:
    """The graph describing ``iri``: its own, or else the first one mentioning it as subject."""
    result = store.query(
        "SELECT DISTINCT ?g ?described WHERE { GRAPH ?g { ?x ?p ?o } "
        f"FILTER(?g != <{META_GRAPH}>) "
        f"OPTIONAL {{ GRAPH <{META_GRAPH}> {{ ?g <{DSKG.describes}> ?described }} }} }}",
        {"x": iri})
    graphs: dict[URIRef, bool] = {}
    for g, described in result.rows:
        assert isinstance(g, URIRef)
        graphs[g] = graphs.get(g, False) or g == iri or described == iri
    if not graphs:
        return None
    own = [g for g, is_own in graphs.items() if is_own]
    if own:
        return Located(iri, iri if iri in own else sorted(own)[0], True)
    return Located(iri, sorted(graphs)[0], False)


def bounded_description(graph: Graph, node: Node) -> Graph:
    """``node``'s triples and, recursively, those of the blank nodes they lead to."""
    out = Graph()
    frontier = [node]
    seen = {node}
    while frontier:
        subject = frontier.pop()
        for s, p, o in graph.triples((subject, None, None)):
            out.add((s, p, o))
            if isinstance(o, BNode) and o not in seen:
                seen.add(o)
                frontier.append(o)
    return out


def load_document(store: Store, iri: URIRef) -> Document | None:
    """The description of ``iri``, or None when the store says nothing about it."""
    location = locate(store, iri)
    if location is None:
        return None
    graph = read_description(store, location.graph)  # literals as written
    if not location.own:
        graph = bounded_description(graph, iri)
    types = sorted(o for o in graph.objects(iri, RDF.type) if isinstance(o, URIRef))
    return Document(iri=iri, graph=graph, location=location, etag=graph_etag(graph),
                    types=types, stewardship=stewardship_of(store, location.graph))


_RECORD = (f"SELECT ?owner ?when ?role ?agent WHERE {{ GRAPH <{META_GRAPH}> {{ "
           f"?g <{DSKG.owner}> ?owner "
           f"OPTIONAL {{ ?g <{PROV.generatedAtTime}> ?when }} "
           f"OPTIONAL {{ ?g <{DSKG.writerRole}> ?role }} "
           f"OPTIONAL {{ ?g <{PROV.wasAttributedTo}> ?agent FILTER(?agent != ?owner) }} }} }} "
           "ORDER BY DESC(?when) LIMIT 1")


def stewardship_of(store: Store, graph: URIRef) -> Stewardship | None:
    """The owner and last write of description ``graph`` (None: no record, e.g. a graph
    written before owners were recorded and not yet migrated)."""
    rows = store.query(_RECORD, {"g": graph}).rows
    if not rows:
        return None
    owner, when, role, agent = rows[0]
    if not isinstance(owner, URIRef):
        return None
    return Stewardship(owner=owner, written_at=str(when) if when is not None else None,
                       writer_role=str(role) if role is not None else None,
                       agent=agent if isinstance(agent, URIRef) else None)


# -- ETags -------------------------------------------------------------------------------
def graph_etag(graph: Graph) -> str:
    """A hash of the graph's content that blank-node labels do not change.

    Each blank node stands for a hash of what it says (recursively), which is exact for the
    tree-shaped blank nodes descriptions use (rules, constraints, periods, contacts); a
    graph whose blank nodes form a cycle is canonicalised by rdflib instead.
    """
    signatures: dict[BNode, str] = {}
    visiting: set[BNode] = set()

    def sign(node: Node) -> str:
        if not isinstance(node, BNode):
            return node.n3()
        if node in signatures:
            return signatures[node]
        if node in visiting:
            raise _CycleError
        visiting.add(node)
        inner = sorted(f"{p.n3()} {sign(o)}" for p, o in graph.predicate_objects(node))
        visiting.discard(node)
        signatures[node] = "_:" + hashlib.sha256("\n".join(inner).encode()).hexdigest()[:24]
        return signatures[node]

    try:
        lines = sorted(f"{sign(s)} {p.n3()} {sign(o)}" for s, p, o in graph)
    except _CycleError:
        canonical = to_canonical_graph(graph)
        lines = sorted(f"{s.n3()} {p.n3()} {o.n3()}" for s, p, o in canonical)
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()[:32]


class _CycleError(Exception):
    """Blank nodes that refer to each other in a cycle."""


def entity_tag(etag: str, fmt: str) -> str:
    """The ETag header of one representation: the content hash and the format."""
    return f'"{etag}-{_TAG_SUFFIX.get(fmt, fmt)}"'


def tag_hashes(header: str) -> list[str]:
    """The content hashes named by an If-Match / If-None-Match header ('*' kept as is)."""
    hashes = []
    for part in header.split(","):
        tag = part.strip()
        if tag == "*":
            hashes.append("*")
            continue
        tag = tag.removeprefix("W/").strip('"')
        hashes.append(tag.split("-", 1)[0])
    return hashes


# -- labels ------------------------------------------------------------------------------
def best_literal(values: list[Node], languages: tuple[str, ...] = ("en", "")) -> str | None:
    literals = [v for v in values if isinstance(v, Literal) and str(v).strip()]
    for language in languages:
        for value in literals:
            if (value.language or "") == language:
                return str(value)
    return str(literals[0]) if literals else None


def label_of(graph: Graph, node: Node) -> str | None:
    for prop in LABEL_PROPERTIES:
        found = best_literal(list(graph.objects(node, prop)))
        if found:
            return found
    return None


def description_of(graph: Graph, node: Node) -> str | None:
    for prop in DESCRIPTION_PROPERTIES:
        found = best_literal(list(graph.objects(node, prop)))
        if found:
            return found
    return None


# -- serialisation -----------------------------------------------------------------------
def bind_prefixes(graph: Graph) -> Graph:
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def serialize(graph: Graph, fmt: str, main: URIRef | None = None) -> bytes:
    """Bytes of ``graph`` in ``fmt`` (a value of RDF_MEDIA); JSON-LD is compacted."""
    if fmt == "json-ld":
        return json.dumps(compact_jsonld(graph, main), ensure_ascii=False,
                          indent=2).encode("utf-8")
    try:
        return bind_prefixes(graph).serialize(format=fmt, encoding="utf-8")
    except Exception as exc:  # RDF/XML cannot write every predicate IRI
        raise NotAcceptable(f"this description cannot be written as {fmt}: {exc}; "
                            "ask for text/turtle or application/ld+json") from None


def compact_jsonld(graph: Graph, main: URIRef | None = None) -> dict[str, Any]:
    """JSON-LD compacted with our context, blank nodes used once nested in place."""
    expanded = jsonld.from_rdf(_pyld_dataset(graph), {})
    compacted = jsonld.compact(expanded, DSKG_CONTEXT_URL,
                               {"documentLoader": document_loader, "skipExpansion": True})
    nodes = compacted.pop("@graph", None)
    if nodes is None:
        nodes = [{k: v for k, v in compacted.items() if k != "@context"}] if len(
            compacted) > 1 else []
    nodes = _embed_blank_nodes(nodes)
    if main is not None:
        nodes.sort(key=lambda n: (n.get("id") != str(main), str(n.get("id", ""))))
    # The context is embedded, not named by URL: https://w3id.org/dskg/context.jsonld does
    # not resolve, and a client must be able to read the answer offline.
    if len(nodes) == 1:
        return {"@context": dskg_context(), **nodes[0]}
    return {"@context": dskg_context(), "@graph": nodes}


def _pyld_term(term: Node) -> dict[str, str]:
    if isinstance(term, BNode):
        return {"type": "blank node", "value": f"_:{term}"}
    if isinstance(term, Literal):
        if term.language:
            return {"type": "literal", "value": str(term), "datatype": str(RDF.langString),
                    "language": term.language}
        return {"type": "literal", "value": str(term),
                "datatype": str(term.datatype or XSD.string)}
    return {"type": "IRI", "value": str(term)}


def _pyld_dataset(graph: Graph) -> dict[str, list[dict[str, dict[str, str]]]]:
    """``graph`` as pyld's RDF dataset, handed over directly: pyld's N-Quads reader splits
    lines at U+2028 and other Unicode line breaks, which literals may hold."""
    return {"@default": [{"subject": _pyld_term(s), "predicate": _pyld_term(p),
                          "object": _pyld_term(o)} for s, p, o in graph]}


def _embed_blank_nodes(nodes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Put each blank node referenced exactly once inside the node that references it."""
    by_id = {n["id"]: n for n in nodes if str(n.get("id", "")).startswith("_:")}
    counts: dict[str, int] = {}

    def references(value: Any) -> list[str]:
        if isinstance(value, list):
            return [ref for item in value for ref in references(item)]
        if isinstance(value, dict):
            own = [value["id"]] if set(value) == {"id"} and value["id"] in by_id else []
            return own + [ref for key, item in value.items() if key not in _OPAQUE_KEYS
                          for ref in references(item)]
        return [value] if isinstance(value, str) and value in by_id else []

    for node in nodes:
        for key, value in node.items():
            if key not in _OPAQUE_KEYS:
                for ref in references(value):
                    counts[ref] = counts.get(ref, 0) + 1
    once = {ref for ref, n in counts.items() if n == 1}
    embedded: set[str] = set()

    def embed(value: Any, path: frozenset[str]) -> Any:
        if isinstance(value, list):
            return [embed(item, path) for item in value]
        ref = value["id"] if isinstance(value, dict) and set(value) == {"id"} else value
        if isinstance(ref, str) and ref in once and ref not in path and len(by_id[ref]) > 1:
            embedded.add(ref)
            return {k: embed(v, path | {ref}) for k, v in by_id[ref].items() if k != "id"}
        if isinstance(value, dict):
            return {k: v if k in _OPAQUE_KEYS else embed(v, path) for k, v in value.items()}
        return value

    kept = [{k: v if k in _OPAQUE_KEYS else embed(v, frozenset({str(node.get("id"))}))
             for k, v in node.items()} for node in nodes if node.get("id") not in once]
    # Blank nodes referenced only from inside a cycle of blank nodes stay at the top.
    kept += [node for node in nodes if node.get("id") in once - embedded]
    return kept
