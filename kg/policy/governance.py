"""What the conflict report reads: the governance graph loaded from a store in one pass,
the assets it governs, and the shape of an asset's offers (assets with the same shape are
governed alike and are checked once)."""

from __future__ import annotations

from typing import Any

from rdflib import BNode, Graph, URIRef
from rdflib.namespace import DCAT
from rdflib.term import Node

from kg.namespaces import DCT, DSKG, ODRL, RDF
from kg.policy.evaluator import ASSET_PROPERTIES, PARTY_PROPERTIES
from kg.policy.model import parse_condition
from kg.policy.queries import ALL_BODIES_QUERIES, ALL_LINKS_QUERY, FACTS_QUERY
from kg.policy.tiers import dataspaces_of, offers_of
from kg.policy.triples import Triples
from kg.policy.witness import leaves
from kg.store.base import Store
from kg.store.sparql_text import terms_n3

#: The facts of an asset the evaluator reads (besides the catalogs listing it).
ASSET_FACTS = (ODRL.partOf, DCT.isPartOf, *{p for ps in ASSET_PROPERTIES.values() for p in ps},
               *ASSET_PROPERTIES)


#: Links into the body of a policy: what they reach is part of the policy's shape, whatever
#: its name (a rule's IRI names it, it does not change what it says).
BODY_LINKS = frozenset((ODRL.permission, ODRL.prohibition, ODRL.obligation, ODRL.duty,
                        ODRL.remedy, ODRL.consequence, ODRL.constraint, ODRL.refinement,
                        ODRL["and"], ODRL["or"], ODRL.xone, ODRL.andSequence, RDF.first,
                        RDF.rest))
#: Names the evaluator never reads for a decision.
UNREAD = frozenset((ODRL.assigner, ODRL.uid))


def _text(term: Node) -> str:
    """A term as text, cheaply (``n3()`` re-validates every IRI)."""
    if isinstance(term, URIRef):
        return f"<{term}>"
    return term.n3()


def shape(graph: Any, node: Node, target: Node, depth: int = 0) -> str:
    """The text of a policy (or a part of it) with the names that do not change a decision
    abstracted: the asset itself, blank nodes, the policy's and its rules' own IRIs."""
    parts = []
    for predicate, value in graph.predicate_objects(node):
        if predicate in UNREAD:
            continue
        if value == target:
            text = "<asset>"
        elif depth < 12 and (predicate in BODY_LINKS or isinstance(value, BNode)):
            text = "[" + shape(graph, value, target, depth + 1) + "]"
        else:
            text = _text(value)
        parts.append(f"{_text(predicate)} {text}")
    parts.sort()
    return ";".join(parts)


def group_key(graph: Any, target: URIRef, offers: list[Node], spaces: list[Node]
              ) -> tuple[Any, ...]:
    """What decides how ``target`` is governed: its data spaces, catalogs, facts and the
    shapes of its offers."""
    shapes = [shape(graph, offer, target) for offer in offers]
    facts = sorted((str(p), str(o)) for p in ASSET_FACTS for o in graph.objects(target, p))
    return (tuple(str(s) for s in spaces),
            tuple(sorted(str(c) for c in graph.subjects(DCAT.dataset, target))),
            tuple(facts), tuple(sorted(shapes)))


def candidate_assets(graph: Any) -> list[URIRef]:
    """What may be an asset: what has a policy, is listed in a catalog or is a target; not
    the data spaces, rulebooks and frameworks that hold the tiers' policies."""
    found = {*graph.subjects(ODRL.hasPolicy, None), *graph.objects(None, DCAT.dataset),
             *graph.objects(None, ODRL.target)}
    holders = {*graph.subjects(DSKG.tier, None), *graph.objects(None, DSKG.rulebook),
               *graph.objects(None, DSKG.subjectTo), *graph.subjects(DSKG.rulebook, None),
               *graph.subjects(DSKG.catalog, None)}
    return sorted(t for t in found if isinstance(t, URIRef) and t not in holders)


def assets(graph: Any) -> list[URIRef]:
    """Every asset with an offer or listed in a catalog."""
    return [t for t in candidate_assets(graph)
            if offers_of(graph, t) or dataspaces_of(graph, t)]


# What falls under the classes and concepts the constraints name (instances, subclasses,
# narrower concepts): the witnesses for isA/isPartOf/isAnyOf are found among them.
NARROWER_QUERY = (
    "SELECT ?s ?p ?o WHERE { VALUES ?c { %s } "
    "?s (<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>"
    "|<http://www.w3.org/2000/01/rdf-schema#subClassOf>"
    "|<http://www.w3.org/2004/02/skos/core#broader>)+ ?c . ?s ?p ?o . "
    "FILTER(?p IN (<http://www.w3.org/1999/02/22-rdf-syntax-ns#type>, "
    "<http://www.w3.org/2000/01/rdf-schema#subClassOf>, "
    "<http://www.w3.org/2004/02/skos/core#broader>)) } LIMIT 100000")


def load_governance(store: Store, *, timeout: float | None = None,
                    into: Graph | Triples | None = None) -> Any:
    """Every policy with its body, and the links and facts the conflict report reads (into
    ``into``, by default a new rdflib Graph; a ``Triples`` loads ~40x faster)."""
    graph: Any = Graph() if into is None else into

    def add(query: str) -> None:
        rows = store.query(query, timeout=timeout).rows
        if isinstance(graph, Graph):
            graph.addN((s, p, o, graph) for s, p, o in rows)  # type: ignore[misc]
        else:
            graph.add_all(rows)

    for query in (*ALL_BODIES_QUERIES, ALL_LINKS_QUERY):
        add(query)
    operands = {c.left for c in leaves(parse_condition(graph, node)
                                       for node in graph.objects(None, ODRL.refinement))
                if c.left is not None}
    props = set(operands)
    for operand in operands:
        props.update(ASSET_PROPERTIES.get(operand, ()) + PARTY_PROPERTIES.get(operand, ()))
    if props:
        add(FACTS_QUERY % terms_n3(sorted(props)))
    concepts = {o for o in graph.objects(None, ODRL.rightOperand) if isinstance(o, URIRef)}
    if concepts:
        add(NARROWER_QUERY % terms_n3(sorted(concepts)))
    return graph
