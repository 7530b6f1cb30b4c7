"""The store facts a description is validated with: its references, fetched in one query.

A description names things already in the graph (its publisher, the data space it joins, the
framework it is subject to, the policy it inherits from). To tell a dangling or mistyped
reference from a good one, and to follow the governance and inheritance chains, the validator
needs, for each such node, its types and a few properties; and, for the description's own
nodes, the store's links that point at them along the inverse paths the shapes use (the
memberships of a data space). It comes from one SELECT per link of the longest chain (the
facts of the references, then of what their chains lead to), whose cost depends on the
number of references and the chain lengths, never on the size of the store.

The chains are followed by asking again, not with a property path (``?ref (a|b)* ?s``):
Virtuoso refuses a transitive path whose start is bound only by VALUES ("neither end of it
is bound by equality"), and asking again gives every engine the same answer.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, Literal, URIRef
from rdflib.paths import InvPath
from rdflib.term import Identifier

from kg.namespaces import DCAT, DSKG, ODRL, RDF
from kg.store.base import Store
from kg.store.sparql_text import predicate_filter, term_n3, values_list
from kg.validation.engine import (
    CompiledShapes,
    compiled_for,
    compiled_for_store,
    graph_profile,
    store_axioms,
)
from kg.vocabulary import LABEL_PROPERTIES

#: Chains the shapes follow across descriptions (governance up the tiers, policy inheritance).
CHAIN_PROPERTIES = (DSKG.subjectTo, ODRL.inheritFrom)
#: Properties of referenced nodes the shapes (and the text report's labels) read.
FACT_PROPERTIES = (RDF.type, DSKG.tier, DSKG.subjectTo, ODRL.inheritFrom, *LABEL_PROPERTIES)

#: Links left out of ``every_fact`` contexts: a catalog's every dataset is not a fact about it
#: that a shape needs.
FAN_OUT = (DCAT.dataset, DCAT.record, DCAT.service, DCAT.catalog)
#: References kept out of the query: vocabulary terms are not nodes of the store.
_VOCABULARY_PREFIXES = ("http://www.w3.org/", "http://purl.org/dc/", "http://xmlns.com/foaf/")


def inverse_needs(compiled: Iterable[CompiledShapes]) -> tuple[set[URIRef], set[URIRef] | None]:
    """(predicates the shapes follow backwards, classes of the nodes they start from).

    The classes are None when some such shape targets nodes other than by class.
    """
    predicates: set[URIRef] = set()
    classes: set[URIRef] | None = set()
    for shapes in compiled:
        for check in shapes.checks:
            path = check.shape.path
            if not (isinstance(path, InvPath) and isinstance(path.arg, URIRef)):
                continue
            predicates.add(path.arg)
            targets = check.root.targets
            if targets.nodes or targets.subjects_of or targets.objects_of:
                classes = None
            elif classes is not None:
                for cls in targets.classes:
                    classes |= shapes.model.subclasses.get(cls, {cls})
    return predicates, classes


def references(data: Graph | Store, referenced: set[URIRef] | None = None
               ) -> tuple[set[URIRef], set[URIRef], set[URIRef]]:
    """(IRIs referenced but not described in ``data``, described IRIs that shapes reach
    backwards from, the predicates they reach back along). ``referenced``: the first, when
    the caller knows it (only for a staging store)."""
    if isinstance(data, Store):
        compiled = compiled_for_store(data, store_axioms(data))
        predicates, classes = inverse_needs(compiled)
        return (*_store_references(data, predicates, classes, referenced), predicates)
    compiled = compiled_for(*graph_profile(data))
    predicates, classes = inverse_needs(compiled)
    described = {s for s in data.subjects() if isinstance(s, URIRef)}
    referenced = {
        o for _, p, o in data
        if isinstance(o, URIRef) and p != RDF.type and o not in described
        and not str(o).startswith(_VOCABULARY_PREFIXES)
    }
    if not predicates:
        return referenced, set(), predicates
    if classes is not None:
        described = {s for s in described
                     if any(t in classes for t in data.objects(s, RDF.type))}
    return referenced, described, predicates


def _store_references(staging: Store, predicates: set[URIRef], classes: set[URIRef] | None,
                      referenced: set[URIRef] | None = None
                      ) -> tuple[set[URIRef], set[URIRef]]:
    if referenced is None:
        rows = staging.query(
            f"SELECT DISTINCT ?o WHERE {{ ?s ?p ?o FILTER(isIRI(?o) && "
            f"?p != {term_n3(RDF.type)}) FILTER NOT EXISTS {{ ?o ?q ?z }} }}").rows
        referenced = {o for (o,) in rows if isinstance(o, URIRef)}
    referenced = {o for o in referenced if not str(o).startswith(_VOCABULARY_PREFIXES)}
    if not predicates:
        return referenced, set()
    if classes is None:
        query = "SELECT DISTINCT ?x WHERE { ?x ?p ?o FILTER(isIRI(?x)) }"
    else:
        query = f"SELECT DISTINCT ?x WHERE {{ {values_list('c', sorted(classes))} ?x a ?c }}"
    described = {x for (x,) in staging.query(query).rows if isinstance(x, URIRef)}
    return referenced, described


#: Nodes per VALUES list of a context query.
VALUES_BATCH = 2000


def context_query(referenced: Iterable[URIRef], described: Iterable[URIRef],
                  inverse: Iterable[URIRef], *, every_fact: bool = False) -> str | None:
    """The SELECT of one round (the facts of ``referenced``, the links back to
    ``described``), or None when there is nothing to ask.

    ``every_fact``: all the facts of the referenced nodes, not only those our shapes read
    (for shapes given by the user), except the links that fan out to whole catalogs."""
    referenced, described, inverse = set(referenced), set(described), set(inverse)
    if not referenced and not (described and inverse):
        return None
    # Predicates are filtered, not bound with VALUES (see predicate_filter).
    facts = (f"FILTER(?p NOT IN ({', '.join(term_n3(p) for p in FAN_OUT)}))" if every_fact
             else predicate_filter(FACT_PROPERTIES))
    branches = []
    if referenced:
        branches.append(f"{{ {values_list('s', sorted(referenced))}\n  ?s ?p ?o {facts} }}")
    if described and inverse:
        # The links themselves, and the types of the nodes they come from. (BIND goes after
        # the pattern it reads, in the same group: a group is evaluated before its parent.)
        values = values_list("x", sorted(described))
        branches.append(f"{{ {values}\n  ?s ?p ?x {predicate_filter(inverse)} BIND(?x AS ?o) }}")
        branches.append(f"{{ {values}\n  ?s ?ip ?x {predicate_filter(inverse, 'ip')}\n"
                        f"  ?s {term_n3(RDF.type)} ?o BIND({term_n3(RDF.type)} AS ?p) }}")
    return "SELECT DISTINCT ?s ?p ?o WHERE {\n" + "\nUNION\n".join(branches) + "\n}"


def context_for(store: Store, data: Graph | Store, *, every_fact: bool = False,
                referenced: set[URIRef] | None = None) -> Graph:
    """Facts from ``store`` about the nodes ``data`` references (see the module doc).

    ``data`` is a description, or a staging store holding many (the bulk path). Facts about
    nodes that ``data`` itself describes are left out: the description replaces what the
    store says about them. ``referenced``: the IRIs ``data`` references and does not
    describe, when the caller knows them (a split dump does, without asking its staging).
    """
    referenced, described, inverse = references(data, referenced)
    context = Graph()
    rows: list[tuple[Identifier, Identifier, Identifier]] = []
    asked: set[URIRef] = set()
    ref, des = sorted(referenced), sorted(described)
    while ref or des:  # one round per link of the chains (CHAIN_PROPERTIES)
        found = _ask(store, ref, des, inverse, every_fact)
        rows += found
        asked |= set(ref)
        ref = sorted({o for _s, p, o in found if p in CHAIN_PROPERTIES
                      and isinstance(o, URIRef) and o not in asked})
        des = []
    if not rows:
        return context
    own = _described_in(data, {s for s, _, _ in rows})
    for s, p, o in rows:
        if s not in own:
            context.add((s, p, o))
    return context


def _ask(store: Store, ref: list[URIRef], des: list[URIRef], inverse: set[URIRef],
         every_fact: bool) -> list[tuple[Identifier, Identifier, Identifier]]:
    """One round of context queries, in batches of VALUES_BATCH nodes: Virtuoso refuses a
    VALUES list of 10k IRIs ("SP030: Too many arguments for standard built-in function")."""
    rows = []
    for start in range(0, max(len(ref), len(des), 1), VALUES_BATCH):
        query = context_query(ref[start:start + VALUES_BATCH], des[start:start + VALUES_BATCH],
                              inverse, every_fact=every_fact)
        if query is not None:
            rows += [(s, p, o) for s, p, o in store.query(query).rows
                     if s is not None and p is not None and o is not None
                     and not (isinstance(o, Literal) and p == RDF.type)]
    return rows


def _described_in(data: Graph | Store, nodes: set[Identifier]) -> set[Identifier]:
    """Which of ``nodes`` are subjects in ``data``."""
    if not isinstance(data, Store):
        return {n for n in nodes if (n, None, None) in data}
    iris = {n for n in nodes if isinstance(n, URIRef)}
    if not iris:
        return set()
    query = f"SELECT DISTINCT ?s WHERE {{ {values_list('s', sorted(iris))} ?s ?p ?o }}"
    return {s for (s,) in data.query(query).rows if s is not None}
