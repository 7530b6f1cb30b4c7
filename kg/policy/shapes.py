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
policies, the party, concept hierarchies, the offers of the asset collections above the
target: the caller checks those after deciding). What an asset collection above the target
holds is compared by name (the collection's offers are the same for all its members). Under
such a renaming every test the evaluator makes (identity, membership, graph structure,
Kleene combinations, the strongest denial, any granting offer) gives the same answer; only
the explanation (which rule is named first) may differ, so the list decides each listed
item itself.

``signature`` renames those nodes to canonical labels; two datasets with the same key are
related by a renaming of that kind, so their verdicts are equal. A poor labelling only puts
isomorphic datasets in different groups (decided twice), never different ones in one. It
keeps only places by name: a question's terms and duties are left to the caller (a dataset
with one of them among its renamed nodes is decided alone), so that one key per dataset,
kept in the shape index, serves every question.
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
Key = frozenset[tuple[str, str, str]]
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


def term_key(term: Node) -> str:
    """A plain string standing for ``term`` (hashed in C, unlike rdflib's terms): IRIs and
    blank nodes as SPARQL TSV results write them."""
    if type(term) is URIRef:
        return f"<{term}>"
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


def place_fixed(key: str) -> bool:
    """What keeps its name whatever the question: places (compared by their IRI's text)."""
    return (key.startswith(_PLACE_STARTS)  # the only IRIs ``places.codes`` reads
            and places.codes(URIRef(key[1:-1])) is not None)


def key_set(terms: Iterable[Node]) -> frozenset[str]:
    return frozenset(term_key(t) for t in terms)


_STRUCTURE_KEYS = key_set(STRUCTURE)
_UP_KEYS = key_set(_UP)
_LEFT_KEY, _INHERIT_KEY, _ASSIGNER_KEY = (term_key(_LEFT), term_key(_INHERIT),
                                          term_key(_ASSIGNER))
_ODRL_KEY = "<" + _ODRL
_PLACE_STARTS = tuple("<" + str(base) for base in places.NAMED_PLACES)


def signature(target: str, rows: Iterable[tuple[str, str, str]], reads: frozenset[str],
              fixed: Callable[[str], bool] = place_fixed
              ) -> tuple[Key, frozenset[str]] | None:
    """The key of ``target``'s own rows (links and offer bodies) with its renameable nodes
    labelled, and those nodes; None when the dataset is to be decided alone. Terms are
    ``term_key`` strings (the form of SPARQL TSV results).
    ``reads``: the target's properties that count (``readable`` over every operand of the
    store); the others (title, description, ...) and every ``odrl:assigner`` (never read by
    the evaluator) are left out, so that datasets described differently still share a key.
    ``fixed``: the IRIs that keep their names (places); a question's terms are left to the
    caller (a dataset with one of them among its renamed nodes is decided alone)."""
    if fixed(target):
        return None
    kept: list[tuple[str, str, str]] = []
    held: set[str] = set()  # IRIs held by a structure link
    valued: set[str] = set()  # nodes seen where their name may matter
    blanks: set[str] = set()
    out: dict[str, list[tuple[str, str]]] = {}
    rows = list(rows)
    # the collections above the target: what they hold (their offers) is the same for all
    # their members and is compared by name (their offers' rows are shared rows)
    collections = {o for _, p, o in rows if p in _UP_KEYS}
    for s, p, o in rows:
        if p == _ASSIGNER_KEY or (s == target and p not in reads
                                  and not p.startswith(_ODRL_KEY)):
            continue
        if (p in _UP_KEYS and not o.startswith("<")) or (
                p == _LEFT_KEY and o in _STRUCTURE_KEYS) or (
                p == _INHERIT_KEY and o.startswith("_:")):
            return None  # blank collections and parents bring rows of their own
        kept.append((s, p, o))
        if s.startswith("_:"):
            blanks.add(s)
        out.setdefault(s, []).append((p, o))
        if o.startswith("_:"):
            blanks.add(o)
        elif p in _STRUCTURE_KEYS and o.startswith("<") and s not in collections:
            held.add(o)
        else:
            valued.add(o)
    renamed: set[str] = {target} | blanks
    for node in held:
        if node not in valued and not fixed(node):
            renamed.add(node)
    if any(p in renamed for _, p, _ in kept):
        return None
    # Labels: breadth first from the target, then from the other renamed nodes (rules that
    # name the target); siblings in order of link and kept object, then of name.
    labels: dict[str, str] = {target: "#0"}
    queue = [target]
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
