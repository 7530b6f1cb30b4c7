"""Descriptions and their names: the types the write path takes and returns, how an input
is split into descriptions (one named graph each), and how a description is normalised
(blank nodes of the main classes get minted IRIs; the graph gets an IRI of its own,
``graph_iri_for``, never the resource's).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.term import Identifier, Node

from kg import validation
from kg.namespaces import DCAT, DEFAULT_ID_BASE, DSKG, FOAF, ODRL, ORG, RDF
from kg.ownership import NODE, Writer
from kg.vocabulary import LABEL_PROPERTIES

Mode = TypingLiteral["create", "replace", "upsert"]
Triple = tuple[Node, Node, Node]


#: Classes whose blank-node instances get a minted IRI, and the path segment for each.
KIND_OF_CLASS: dict[URIRef, str] = {
    DSKG.DataSpace: "dataspace",
    ORG.Organization: "organisation",
    ORG.OrganizationalCollaboration: "dataspace",
    FOAF.Organization: "organisation",
    DSKG.LegalFramework: "framework",
    DSKG.Rulebook: "rulebook",
    ORG.Membership: "membership",
    DCAT.Dataset: "dataset",
    DCAT.Distribution: "distribution",
    DCAT.DataService: "service",
    DCAT.Catalog: "catalog",
    ODRL.Offer: "policy",
    ODRL.Set: "policy",
    ODRL.Agreement: "policy",
    ODRL.Policy: "policy",
}


@dataclass
class Description:
    """One description: the triples of one named graph and its main resource."""

    name: URIRef
    graph: Graph
    root: URIRef | None = None


@dataclass
class WriteResult:
    graphs: list[URIRef] = field(default_factory=list)
    roots: dict[URIRef, URIRef | None] = field(default_factory=dict)
    created: list[URIRef] = field(default_factory=list)
    replaced: list[URIRef] = field(default_factory=list)
    triples: int = 0
    warnings: int = 0
    report: validation.ValidationReport | None = None
    #: per graph, the triples the ownership review dropped (restated or out of bounds)
    trimmed: dict[URIRef, list[Triple]] = field(default_factory=dict)


@dataclass
class Origin:
    """Who and where a write comes from (goes into the provenance record), and with what
    authority (``writer``, checked against what the write touches: DESIGN 4a)."""

    agent: str = "anonymous"
    source: str | None = None
    activity: str = "write"
    writer: Writer = NODE
    #: the node's base IRI: description graphs are named under ``{base_iri}graph/``
    base_iri: str = "http://127.0.0.1:8000/"
    extra: list[Triple] = field(default_factory=list)
    #: extra provenance triples per graph (subject = the graph name), e.g. a harvest's ETag
    per_graph: dict[URIRef, list[Triple]] = field(default_factory=dict)


def agent_iri(agent: str) -> URIRef:
    safe = re.sub(r"[^A-Za-z0-9._~:-]", "-", agent) or "anonymous"
    return URIRef(f"https://w3id.org/dskg/agent/{safe}")


def graph_iri_for(base_iri: str, root: URIRef) -> URIRef:
    """The IRI of the graph describing ``root``: never the resource's own IRI, so that the
    provenance record (about the graph) is not read as facts about the resource."""
    text = str(root)
    for stem in (f"{base_iri}id/", DEFAULT_ID_BASE):
        if text.startswith(stem) and len(text) > len(stem):
            return URIRef(f"{base_iri}graph/{text[len(stem):]}")
    return URIRef(f"{base_iri}graph/r/{hashlib.sha256(text.encode()).hexdigest()[:32]}")


def own_graph_name(description: Description, base_iri: str) -> Description:
    """A description whose graph is named after a resource it describes gets a graph IRI
    of its own (older inputs and stores name graphs after their main resource)."""
    name = description.name
    if (name, RDF.type, None) not in description.graph:
        return description
    return Description(name=graph_iri_for(base_iri, name), graph=description.graph,
                       root=description.root or name)


def slugify(text: str, limit: int = 60) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:limit].strip("-")


# -- splitting ---------------------------------------------------------------------------
def roots_of(graph: Graph) -> list[URIRef]:
    """Typed IRI subjects that no other subject in the graph points at."""
    objects = {o for s, _p, o in graph if s != o}
    roots = {s for s in graph.subjects(RDF.type, None) if isinstance(s, URIRef)}
    return sorted(r for r in roots if r not in objects)


def _root_for(graph: Graph) -> URIRef | None:
    roots = roots_of(graph)
    return roots[0] if len(roots) == 1 else None


def split_dataset(dataset: Dataset, *, base_iri: str, name: URIRef | None = None
                  ) -> list[Description]:
    """Named graphs become descriptions; default-graph triples become one more.

    ``name`` forces the graph name of the default-graph description (REST, ``--graph``).
    """
    descriptions: list[Description] = []
    for context in dataset.graphs():
        if len(context) == 0:
            continue
        graph = Graph()
        for triple in context:
            graph.add(triple)
        if context.identifier == dataset.default_graph.identifier:
            descriptions.append(Description(name=name or URIRef(""), graph=graph))
        else:
            assert isinstance(context.identifier, URIRef)
            descriptions.append(Description(name=context.identifier, graph=graph,
                                            root=_root_for(graph)))
    return descriptions


# -- normalising -------------------------------------------------------------------------
def _label(graph: Graph, node: Identifier) -> str | None:
    for prop in LABEL_PROPERTIES:
        for value in graph.objects(node, prop):
            if isinstance(value, Literal) and str(value).strip():
                return str(value)
    return None


def _kind(graph: Graph, node: Identifier) -> str | None:
    for cls in graph.objects(node, RDF.type):
        kind = KIND_OF_CLASS.get(cls)  # type: ignore[call-overload]
        if kind:
            return kind
    return None


def mint_iri(base_iri: str, kind: str, label: str | None,
             taken: Callable[[URIRef], bool]) -> URIRef:
    stem = slugify(label) if label else ""
    if not stem:
        stem = uuid.uuid4().hex[:12]
    candidate = URIRef(f"{base_iri}id/{kind}/{stem}")
    suffix = 2
    while taken(candidate):
        candidate = URIRef(f"{base_iri}id/{kind}/{stem}-{suffix}")
        suffix += 1
    return candidate


def normalise(description: Description, *, base_iri: str,
              taken: Callable[[URIRef], bool]) -> Description:
    """Mint IRIs for blank nodes of our main classes, and name the graph after its root."""
    graph = description.graph
    renames: dict[Node, URIRef] = {}
    minted: set[URIRef] = set()
    for node in set(graph.subjects(RDF.type, None)):
        if isinstance(node, BNode):
            kind = _kind(graph, node)
            if kind:
                iri = mint_iri(base_iri, kind, _label(graph, node),
                               lambda c: c in minted or taken(c))
                minted.add(iri)
                renames[node] = iri
    if renames:
        renamed = Graph()
        for s, p, o in graph:
            renamed.add((renames.get(s, s), p, renames.get(o, o)))
        graph = renamed
    root = description.root or _root_for(graph)
    root = renames.get(root, root) if isinstance(root, BNode) else root
    name = description.name
    if str(name) == "":
        name = (graph_iri_for(base_iri, root) if root is not None
                else URIRef(f"{base_iri}graph/{uuid.uuid4().hex}"))
    return own_graph_name(Description(name=name, graph=graph, root=root), base_iri)
