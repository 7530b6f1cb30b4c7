"""Datasets whose decisions must agree: the same offers up to the names of their own nodes.

A catalog gives each dataset an offer of its own (its own IRI, its own rule and constraint
nodes) but most offers have one of a few shapes, and the tier policies above them are the
data spaces'. The permitted list decides one dataset per shape and gives its verdict to the
others. That is exact when the two datasets' slices differ only by a renaming of nodes whose
names the evaluator never compares with anything outside the dataset's own rows:

* the target itself (it is renamed with the request's target);
* blank nodes;
* IRIs held by a policy's structure: objects of ``odrl:hasPolicy``, the rule links,
  ``odrl:constraint``/``refinement``, the logical operands or ``rdf:rest``, and never
  objects of anything else in the dataset's rows (an action, party, asset, operand, value);

and none of them a place (places compare by their IRI's text), a term of the question, or
the start of a duty named in the question; nor found in the rows the slice shares (tier
policies, the party, concept hierarchies: the caller checks those after deciding). Under
such a renaming every test the evaluator makes (identity, membership, graph structure,
Kleene combinations, the strongest denial, any granting offer) gives the same answer; only
the explanation (which rule is named first) may differ, so the list decides each listed
item itself.

``shape`` renames those nodes to canonical labels; two datasets with the same key are
related by a renaming of that kind, so their verdicts are equal. A poor labelling only puts
isomorphic datasets in different groups (decided twice), never different ones in one.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from rdflib import OWL, RDF, RDFS, BNode, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from kg.namespaces import DCT, DSKG, ODRL, ORG
from kg.policy import places
from kg.policy.evaluator import ASSET_PROPERTIES
from kg.policy.request import Request

#: Links that hold a policy's structure (what they point at has no meaning by its name).
STRUCTURE = frozenset((
    ODRL.hasPolicy, ODRL.permission, ODRL.prohibition, ODRL.obligation, ODRL.duty,
    ODRL.consequence, ODRL.remedy, ODRL.constraint, ODRL.refinement, ODRL["and"],
    ODRL["or"], ODRL.xone, ODRL.andSequence, RDF.rest))
_UP = frozenset((ODRL.partOf, DCT.isPartOf))
_LEFT, _INHERIT, _ASSIGNER = ODRL.leftOperand, ODRL.inheritFrom, ODRL.assigner
_LEFTS, _INHERITS, _ASSIGNERS = (frozenset((_LEFT,)), frozenset((_INHERIT,)),
                                 frozenset((_ASSIGNER,)))
#: What the evaluator reads from a target's own description, whatever the policies: its
#: offers, its collections, equivalences, types, and what feeds the concepts it fetches.
TARGET_READS = frozenset((
    ODRL.hasPolicy, ODRL.partOf, DCT.isPartOf, RDF.type, OWL.sameAs, SKOS.exactMatch,
    SKOS.broader, RDFS.subClassOf, ODRL.rightOperand, ODRL.action, ODRL.target,
    ODRL.source, ODRL.refinement, RDF.value, RDF.first, RDF.rest, DSKG.tier,
    DSKG.catalog, DSKG.rulebook, DSKG.subjectTo, DCT.source, ORG.memberOf,
    ORG.subOrganizationOf, ORG.member, ORG.organization, ORG.role, DSKG.country))
_ODRL = str(ODRL)

Row = tuple[Node, Node, Node]
Key = frozenset[tuple[str, Node, str]]
_concat = str.__add__


class Question:
    """What the request fixes for every dataset (never renamed)."""

    def __init__(self, request: Request) -> None:
        terms: set[Node] = {request.assignee, request.action, *request.duties_done}
        for values in request.context.values():
            terms.update(values)
        self.terms = frozenset(terms)
        self.duties = tuple(str(d) for d in request.duties_done)
        # a duty named by a generated id of a blank-node policy: no renaming at all
        self.usable = not any(d.startswith("_:") for d in self.duties)

    def fixed(self, iri: URIRef) -> bool:
        text = str(iri)
        return (iri in self.terms or places.codes(iri) is not None
                or any(d.startswith(text) for d in self.duties))


def term_key(term: Node) -> str:
    """A plain string standing for ``term`` (hashed in C, unlike rdflib's terms)."""
    if type(term) is URIRef:
        return _concat("<", term)
    if isinstance(term, BNode):
        return _concat("_:", term)
    return term.n3()


def shared_nodes(tables: Iterable[dict[object, list[Row]]]) -> set[str]:
    """Every node in the rows the slices share (kept in the policy cache's tables)."""
    found: set[str] = set()
    for table in tables:
        for rows in list(table.values()):
            for row in rows:
                for term in row:
                    found.add(term_key(term))
    return found


def operands(rows: Iterable[Row]) -> set[Node]:
    """The left operands of the constraints in ``rows``."""
    return {o for _, p, o in rows if p in _LEFTS}


def readable(left_operands: Iterable[Node]) -> frozenset[Node]:
    """The target's properties the evaluator may read: how it finds offers, collections,
    concepts and tiers, and what asset refinements on ``left_operands`` compare."""
    found: set[Node] = set(TARGET_READS)
    for operand in left_operands:
        found.add(operand)
        if isinstance(operand, URIRef):
            found.update(ASSET_PROPERTIES.get(operand, ()))
    return frozenset(found)


def shape(target: URIRef, rows: Iterable[Row], question: Question,
          reads: frozenset[Node]) -> tuple[Key, frozenset[str]] | None:
    """``signature`` for one question: the nodes it fixes keep their names."""
    if not question.usable:
        return None
    return signature(target, rows, reads, question.fixed)


def place_fixed(iri: URIRef) -> bool:
    """What keeps its name whatever the question: places (compared by their IRI's text)."""
    return places.codes(iri) is not None


def signature(target: URIRef, rows: Iterable[Row], reads: frozenset[Node],
              fixed: Callable[[URIRef], bool] = place_fixed
              ) -> tuple[Key, frozenset[str]] | None:
    """The key of ``target``'s own rows (links and offer bodies) with its renameable nodes
    labelled, and those nodes (``term_key``); None when the dataset is to be decided alone.
    ``reads``: the target's properties that count (``readable`` over every operand of the
    slice); the others (title, description, ...) and every ``odrl:assigner`` (never read by
    the evaluator) are left out, so that datasets described differently still share a key.
    ``fixed``: the IRIs that keep their names (a question's terms, places); the shape index
    keeps only places and leaves a question's terms to its callers (``renamed`` has them)."""
    if fixed(target):
        return None
    kept: list[tuple[str, Node, str]] = []
    held: dict[str, Node] = {}  # IRIs held by a structure link
    valued: set[str] = set()  # nodes seen where their name may matter
    blanks: set[str] = set()
    out: dict[str, list[tuple[str, str]]] = {}
    itself = frozenset((target,))  # set tests: rdflib's `==` is Python, a set's hash is C
    for s, p, o in rows:
        if p in _ASSIGNERS or (s in itself and p not in reads and not (
                isinstance(p, str) and p.startswith(_ODRL))):
            continue
        if p in _UP or (p in _LEFTS and o in STRUCTURE) or (
                p in _INHERITS and isinstance(o, BNode)):
            return None  # collections and blank parents bring rows of their own
        skey, okey = term_key(s), term_key(o)
        kept.append((skey, p, okey))
        if isinstance(s, BNode):
            blanks.add(skey)
        out.setdefault(skey, []).append((_concat("<", p), okey))  # type: ignore[arg-type]
        if isinstance(o, BNode):
            blanks.add(okey)
        elif p in STRUCTURE:
            held[okey] = o
        else:
            valued.add(okey)
    tkey = term_key(target)
    renamed: set[str] = {tkey} | blanks
    for okey, node in held.items():
        if okey not in valued and not fixed(node):  # type: ignore[arg-type]
            renamed.add(okey)
    if any(term_key(p) in renamed for _, p, _ in kept):
        return None
    # Labels: breadth first from the target, then from the other renamed nodes (rules that
    # name the target); siblings in order of link and kept object, then of name.
    labels: dict[str, str] = {tkey: "#0"}
    queue = [tkey]
    rest = sorted(renamed)
    while queue or rest:
        if not queue:
            start = rest.pop(0)
            if start in labels:
                continue
            labels[start] = f"#{len(labels)}"
            queue.append(start)
        current = queue.pop(0)
        for _, child in sorted(out.get(current, ()),
                               key=lambda po: (po[0], po[1] in renamed, po[1])):
            if child in renamed and child not in labels:
                labels[child] = f"#{len(labels)}"
                queue.append(child)
    key = frozenset((labels.get(s, s), p, labels.get(o, o)) for s, p, o in kept)
    return key, frozenset(renamed)
