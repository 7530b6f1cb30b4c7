"""ODRL 2.2 policies read from an rdflib Graph into plain dataclasses.

Rules get stable names even when they are blank nodes (their IRI, else their ``odrl:uid``,
else ``<policy>#<kind>-<n>`` with ``n`` counted over the rules sorted by content), because
blank-node labels differ every time a store answers a query.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from rdflib import RDF, BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.term import Node

from kg.namespaces import DCT, DSKG, ODRL

LOGICAL_OPERATORS = (ODRL["and"], ODRL["or"], ODRL.xone, ODRL.andSequence)
POLICY_TYPES = (ODRL.Policy, ODRL.Set, ODRL.Offer, ODRL.Agreement, ODRL.Privacy, ODRL.Request,
                ODRL.Ticket, ODRL.Assertion)
RULE_KINDS = {ODRL.permission: "permission", ODRL.prohibition: "prohibition",
              ODRL.obligation: "obligation"}


@dataclass(frozen=True)
class Constraint:
    """``leftOperand operator rightOperand``; ``problem`` says why it cannot be evaluated."""

    left: URIRef | None
    operator: URIRef | None
    right: tuple[Node, ...]
    datatype: URIRef | None = None
    unit: Node | None = None
    problem: str | None = None


@dataclass(frozen=True)
class LogicalConstraint:
    operator: URIRef
    members: tuple[Condition, ...]


Condition = Constraint | LogicalConstraint


@dataclass(frozen=True)
class Party:
    """An assignee: a party, a party collection (``source`` = e.g. a data space), refined."""

    node: Node
    collection: bool = False
    source: URIRef | None = None
    refinements: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Asset:
    node: Node
    collection: bool = False
    source: URIRef | None = None
    refinements: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class Action:
    iri: URIRef
    refinements: tuple[Condition, ...] = ()


@dataclass
class Rule:
    id: str
    kind: str  # permission | prohibition | obligation | duty
    actions: tuple[Action, ...]
    targets: tuple[Asset, ...] = ()
    assignees: tuple[Party, ...] = ()
    assigners: tuple[Node, ...] = ()
    constraints: tuple[Condition, ...] = ()
    duties: tuple[Rule, ...] = ()  # a permission's duties, a duty's consequences
    node: Node | None = None


@dataclass
class Policy:
    iri: Node
    id: str
    types: frozenset[URIRef]
    rules: list[Rule] = field(default_factory=list)
    conflict: URIRef | None = None
    inherit_from: tuple[URIRef, ...] = ()
    tier: URIRef | None = None
    source: Node | None = None
    assigners: tuple[Node, ...] = ()

    def of_kind(self, kind: str) -> list[Rule]:
        return [rule for rule in self.rules if rule.kind == kind]


def _values(graph: Graph, node: Node, prop: URIRef) -> list[Node]:
    """Values of ``prop``, flattening rdf:Lists (JSON-LD ``@list`` containers)."""
    out: list[Node] = []
    for value in graph.objects(node, prop):
        if (isinstance(value, BNode) and (value, RDF.first, None) in graph) or value == RDF.nil:
            out.extend(Collection(graph, value))
        else:
            out.append(value)
    return out


def _one(graph: Graph, node: Node, prop: URIRef) -> Node | None:
    values = sorted(graph.objects(node, prop), key=str)
    return values[0] if values else None


def parse_condition(graph: Graph, node: Node) -> Condition:
    for op in LOGICAL_OPERATORS:
        members = _values(graph, node, op)
        if members:
            parsed = [parse_condition(graph, m) for m in members]
            if op != ODRL.andSequence:  # order matters only for andSequence
                parsed.sort(key=repr)
            return LogicalConstraint(op, tuple(parsed))
    left = _one(graph, node, ODRL.leftOperand)
    operator = _one(graph, node, ODRL.operator)
    right = _values(graph, node, ODRL.rightOperand)
    if not right:  # a reference stands for the value(s) it points at
        for ref in _values(graph, node, ODRL.rightOperandReference):
            right.extend(graph.objects(ref, RDF.value) or [ref])
    datatype = _one(graph, node, ODRL.dataType)
    problem = None
    if not isinstance(left, URIRef) or not isinstance(operator, URIRef):
        problem = "constraint lacks an odrl:leftOperand or odrl:operator IRI"
    elif not right:
        problem = "constraint lacks an odrl:rightOperand"
    return Constraint(
        left if isinstance(left, URIRef) else None,
        operator if isinstance(operator, URIRef) else None,
        tuple(sorted(right, key=lambda v: (type(v).__name__, str(v)))),
        datatype if isinstance(datatype, URIRef) else None,
        _one(graph, node, ODRL.unit),
        problem,
    )


def _conditions(graph: Graph, node: Node, prop: URIRef) -> tuple[Condition, ...]:
    return tuple(sorted((parse_condition(graph, c) for c in _values(graph, node, prop)),
                        key=repr))


def _is_a(graph: Graph, node: Node, cls: URIRef) -> bool:
    return (node, RDF.type, cls) in graph


def parse_party(graph: Graph, node: Node) -> Party:
    source = _one(graph, node, ODRL.source)
    return Party(
        node,
        collection=_is_a(graph, node, ODRL.PartyCollection) or source is not None,
        source=source if isinstance(source, URIRef) else None,
        refinements=_conditions(graph, node, ODRL.refinement),
    )


def parse_asset(graph: Graph, node: Node) -> Asset:
    source = _one(graph, node, ODRL.source)
    return Asset(
        node,
        collection=_is_a(graph, node, ODRL.AssetCollection) or source is not None,
        source=source if isinstance(source, URIRef) else None,
        refinements=_conditions(graph, node, ODRL.refinement),
    )


def parse_action(graph: Graph, node: Node) -> Action | None:
    if isinstance(node, URIRef):
        return Action(node)
    value = _one(graph, node, RDF.value)
    if not isinstance(value, URIRef):
        return None
    return Action(value, _conditions(graph, node, ODRL.refinement))


@dataclass(frozen=True)
class _Defaults:
    """Policy-level target/assigner/assignee/action that apply to every rule (compact form)."""

    targets: tuple[Node, ...]
    assigners: tuple[Node, ...]
    assignees: tuple[Node, ...]
    actions: tuple[Node, ...]


def _rule(graph: Graph, node: Node, kind: str, defaults: _Defaults, rule_id: str) -> Rule:
    actions = [parse_action(graph, a) for a in (_values(graph, node, ODRL.action)
                                                or defaults.actions)]
    targets = _values(graph, node, ODRL.target) or list(defaults.targets)
    assignees = _values(graph, node, ODRL.assignee) or list(defaults.assignees)
    assigners = _values(graph, node, ODRL.assigner) or list(defaults.assigners)
    duty_prop = {"permission": ODRL.duty, "prohibition": ODRL.remedy}.get(kind, ODRL.consequence)
    duty_nodes = _values(graph, node, duty_prop)
    duties = _named_rules(graph, duty_nodes, "duty" if kind == "permission" else
                          ("remedy" if kind == "prohibition" else "consequence"),
                          _Defaults(tuple(targets), (), (), ()), rule_id)
    return Rule(
        id=rule_id,
        kind=kind if kind in ("permission", "prohibition", "obligation") else "duty",
        actions=tuple(sorted((a for a in actions if a is not None), key=repr)),
        targets=tuple(sorted((parse_asset(graph, t) for t in targets), key=repr)),
        assignees=tuple(sorted((parse_party(graph, p) for p in assignees), key=repr)),
        assigners=tuple(sorted(assigners, key=str)),
        constraints=_conditions(graph, node, ODRL.constraint),
        duties=tuple(duties),
        node=node,
    )


def _signature(graph: Graph, node: Node, depth: int = 0) -> str:
    """A content fingerprint of a (blank) node, for ordering rules deterministically."""
    if not isinstance(node, BNode) or depth > 6:
        return str(node)
    parts = sorted(f"{p}={_signature(graph, o, depth + 1)}"
                   for p, o in graph.predicate_objects(node))
    return "[" + ";".join(parts) + "]"


def _named_rules(graph: Graph, nodes: list[Node], kind: str, defaults: _Defaults,
                 owner_id: str) -> list[Rule]:
    ordered = sorted(nodes, key=lambda n: (isinstance(n, BNode), _signature(graph, n)))
    rules = []
    for index, node in enumerate(ordered, start=1):
        uid = _one(graph, node, ODRL.uid)
        if isinstance(node, URIRef):
            rule_id = str(node)
        elif uid is not None:
            rule_id = str(uid)
        else:
            sep = "#" if kind in RULE_KINDS.values() else "/"
            rule_id = f"{owner_id}{sep}{kind}-{index}"
        rules.append(_rule(graph, node, kind, defaults, rule_id))
    return rules


def policy_id(graph: Graph, node: Node) -> str:
    if isinstance(node, URIRef):
        return str(node)
    uid = _one(graph, node, ODRL.uid)
    if uid is not None:
        return str(uid)
    return "_:policy-" + hashlib.sha1(_signature(graph, node).encode()).hexdigest()[:12]


def parse_policy(graph: Graph, node: Node) -> Policy:
    """Read one policy (and its rules) from ``graph``."""
    pid = policy_id(graph, node)
    defaults = _Defaults(
        tuple(_values(graph, node, ODRL.target)), tuple(_values(graph, node, ODRL.assigner)),
        tuple(_values(graph, node, ODRL.assignee)), tuple(_values(graph, node, ODRL.action)),
    )
    rules: list[Rule] = []
    for prop, kind in RULE_KINDS.items():
        rules.extend(_named_rules(graph, _values(graph, node, prop), kind, defaults, pid))
    conflict = _one(graph, node, ODRL.conflict)
    tier = _one(graph, node, DSKG.tier)
    return Policy(
        iri=node,
        id=pid,
        types=frozenset(t for t in graph.objects(node, RDF.type) if isinstance(t, URIRef)),
        rules=rules,
        conflict=conflict if isinstance(conflict, URIRef) else None,
        inherit_from=tuple(sorted(p for p in graph.objects(node, ODRL.inheritFrom)
                                  if isinstance(p, URIRef))),
        tier=tier if isinstance(tier, URIRef) else None,
        source=_one(graph, node, DCT.source),
        assigners=defaults.assigners,
    )


_RDF_TYPE = RDF.type
_POLICY_TYPE_SET = frozenset(POLICY_TYPES)


def is_policy(graph: Graph, node: Node) -> bool:
    """A node typed as a policy, or one carrying rules."""
    return any(t in _POLICY_TYPE_SET for t in graph.objects(node, _RDF_TYPE)) or any(
        (node, prop, None) in graph for prop in RULE_KINDS)
