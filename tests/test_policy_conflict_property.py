"""Property: on random pairs of rules (any tier, any kind, party collections, purposes under
two classes, counts, duties, conflict strategies) the conflict report agrees with the
evaluator both ways:

* sound: every finding's example is decided as the finding says (for an ambiguous finding,
  over the graph plus the facts it assumes);
* complete: when a brute-force search over a small request space finds a request on which
  the evaluator weighs the two rules against each other and denies by the prohibition (not
  settled by the policy's conflict strategy), the report has that pair as a plain conflict.
"""

from __future__ import annotations

import itertools
from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st
from rdflib import Graph, Literal, URIRef

from kg.namespaces import ODRL
from kg.policy.conflicts import find_conflicts
from kg.policy.evaluator import Decision, Evaluator, RuleResult
from kg.policy.request import build_request
from kg.policy.tiers import effective_policy
from tests.conflict_support import shows

EX = "https://example.org/p/"
WORLD = f"""@prefix ex: <{EX}> . @prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dskg: <https://w3id.org/dskg#> .
@prefix org: <http://www.w3.org/ns/org#> . @prefix skos: <http://www.w3.org/2004/02/skos/core#> .
ex:space a dskg:DataSpace ; dskg:catalog ex:cat ; dskg:rulebook ex:rb ; dskg:subjectTo ex:fw .
ex:cat dcat:dataset ex:d . ex:d a dcat:Dataset ; odrl:hasPolicy ex:offer .
ex:offer a odrl:Offer ; odrl:target ex:d .
ex:d odrl:hasPolicy ex:offer2 . ex:offer2 a odrl:Offer ; odrl:target ex:d .
ex:d odrl:partOf ex:c1 . ex:c1 a odrl:AssetCollection . ex:c2 a odrl:AssetCollection .
ex:rb odrl:hasPolicy ex:rules . ex:rules a odrl:Set ; dskg:tier dskg:ProjectTier .
ex:fw dskg:tier dskg:NationalTier ; odrl:hasPolicy ex:nat .
ex:nat a odrl:Set ; dskg:tier dskg:NationalTier .
ex:A a odrl:PartyCollection . ex:B a odrl:PartyCollection .
ex:alice odrl:partOf ex:A . ex:bob odrl:partOf ex:A, ex:B .
ex:m1 org:member ex:carol ; org:organization ex:space . ex:carol dskg:country "DE" .
ex:m2 org:member ex:erin ; org:organization ex:space . ex:erin dskg:country "US" .
ex:MedicalResearch skos:broader ex:Research, ex:Health .
"""
RANK = {"offer": 0, "offer2": 0, "rules": 1, "nat": 2}
ACTIONS = ["odrl:use", "odrl:read", "odrl:distribute"]
ASSIGNEES = ["", "ex:A", "ex:B", "ex:alice", "[ a odrl:PartyCollection ; odrl:source ex:space ]",
             "ex:Nobodies", "[ a odrl:PartyCollection ; odrl:source ex:space ; odrl:refinement "
             '[ odrl:leftOperand odrl:spatial ; odrl:operator odrl:eq ; odrl:rightOperand "US" ] ]']
CONSTRAINTS = [
    "",
    "odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; odrl:rightOperand ex:Research",
    "odrl:leftOperand odrl:purpose ; odrl:operator odrl:isA ; odrl:rightOperand ex:Health",
    "odrl:leftOperand odrl:purpose ; odrl:operator odrl:isNoneOf ; odrl:rightOperand ex:Health",
    "odrl:leftOperand odrl:count ; odrl:operator odrl:lteq ; odrl:rightOperand 5",
    "odrl:leftOperand odrl:count ; odrl:operator odrl:gt ; odrl:rightOperand 3",
]
# (offer and offer2 are alternatives; ex:d is in the asset collection ex:c1, not in ex:c2.)
# The brute-force request space.
PARTIES = [URIRef(EX + p) for p in ("alice", "bob", "carol", "dave", "erin")]
REQUEST_ACTIONS = [ODRL.use, ODRL.read, ODRL.distribute, ODRL.attribute, ODRL.delete]
PURPOSES = [None, *(URIRef(EX + p) for p in ("Research", "Health", "MedicalResearch", "Art"))]
COUNTS = [None, 3, 4, 6]


@st.composite
def pairs(draw: st.DrawFn) -> tuple[str, dict[str, tuple[str, str]]]:
    lines, rules = [], {}
    for name in ("one", "two"):
        kind = draw(st.sampled_from(["permission", "prohibition", "obligation"]))
        holder = draw(st.sampled_from(sorted(RANK)))
        parts = [f"odrl:action {draw(st.sampled_from(ACTIONS))}"]
        assignee = draw(st.sampled_from(ASSIGNEES))
        if assignee:
            parts.append(f"odrl:assignee {assignee}")
        target = draw(st.sampled_from(["", "", "ex:c1", "ex:c2"]))
        if target:
            parts.append(f"odrl:target {target}")
        constraint = draw(st.sampled_from(CONSTRAINTS))
        if constraint:
            parts.append(f"odrl:constraint [ {constraint} ]")
        if kind == "permission" and draw(st.booleans()):
            duty = draw(st.sampled_from(["odrl:attribute", "odrl:read", "odrl:delete"]))
            parts.append(f"odrl:duty [ odrl:action {duty} ]")
        lines.append(f"ex:{holder} odrl:{kind} ex:{name} . ex:{name} " + " ; ".join(parts)
                     + " .")
        rules[EX + name] = (kind, holder)
    strategy = draw(st.sampled_from(["", "odrl:perm", "odrl:prohibit"]))
    if strategy:
        lines.append(f"ex:offer odrl:conflict {strategy} .")
    return WORLD + "\n".join(lines), rules


def _requests(done: tuple[URIRef, ...] = ()) -> list:
    out = []
    for party, action, purpose, count in itertools.product(PARTIES, REQUEST_ACTIONS,
                                                           PURPOSES, COUNTS):
        context = {} if count is None else {"odrl:count": [Literal(count)]}
        out.append(build_request(
            assignee=str(party), action=str(action), target=EX + "d",
            purpose=None if purpose is None else str(purpose), context=context,
            duties_done=[str(d) for d in done]))
    return out


def _rule(decision: Decision, rule_id: str) -> RuleResult | None:
    return next((r for p in decision.results for r in p.rules if r.rule.id == rule_id), None)


def _denied_by(decision: Decision, prohibition: str, rank: int) -> bool:
    deciding = decision.deciding
    found = _rule(decision, prohibition)
    return (decision.decision == "deny" and deciding is not None
            and deciding.status in ("prohibits", "void") and deciding.governing.rank == rank
            and found is not None and found.outcome in ("prohibits", "void")
            and found.active is True)


def _brute_force(graph: Graph, rules: dict[str, tuple[str, str]]) -> set[tuple[str, str]]:
    """(lower, prohibition) pairs some request in the space shows in conflict (the rules'
    own checks first, the full evaluation only where both apply); ``lower`` is a permission,
    an obligation or a permission's duty."""
    evaluator = Evaluator(graph)
    governing = {r.id: (g, r) for g in effective_policy(graph, URIRef(EX + "d")).governing
                 for r in g.policy.rules}
    prohibitions = [(r, h) for r, (k, h) in rules.items() if k == "prohibition"]
    found: set[tuple[str, str]] = set()
    for rule, (kind, holder) in rules.items():
        for prohibition, other in prohibitions:
            if rule == prohibition or kind == "prohibition":
                continue
            owner, parsed = governing[rule]
            duties = [(d, d.actions[0].iri) for d in parsed.duties]
            owed = graph.value(URIRef(rule), ODRL.action) if kind == "obligation" else None
            for duty, action in duties:  # a duty of the permission prohibited
                if (duty.id, prohibition) in found:
                    continue
                for request in _requests((action,)):
                    exercise = replace(request, action=parsed.actions[0].iri,
                                       duties_done=frozenset())
                    if not evaluator.actions.covers(action, request.action) or \
                            evaluator.rule(owner, parsed, exercise).active is not True or \
                            not evaluator.duty(duty, exercise).owed or \
                            evaluator.rule(*governing[prohibition], request).active is not True:
                        continue
                    decision = evaluator.evaluate(request)
                    if _denied_by(decision, prohibition, RANK[other]) \
                            and decision.deciding.status == "prohibits":
                        found.add((duty.id, prohibition))
                        break
            if kind == "permission" and RANK[other] < RANK[holder]:
                continue
            # a permission's duties done: it would grant, were it not for the prohibition
            done = (owed,) if owed is not None else tuple(a for _, a in duties)
            for request in _requests(done):
                if owed is not None and not evaluator.actions.covers(owed, request.action):
                    continue  # doing what is owed
                result = evaluator.rule(owner, parsed, request)
                if not result.relevant or (result.active is not True and not (
                        owed is not None and result.active is None)):
                    continue  # an obligation is owed unless known not to apply
                if evaluator.rule(*governing[prohibition], request).active is not True:
                    continue
                decision = evaluator.evaluate(request)
                result = _rule(decision, rule)
                settled = result is not None and result.outcome == "overridden"
                if not settled and _denied_by(decision, prohibition, RANK[other]) and (
                        owed is None or decision.deciding.status == "prohibits"):
                    found.add((rule, prohibition))
                    break
    return found


@settings(max_examples=40, deadline=None)
@given(pairs())
def test_the_report_agrees_with_the_evaluator(case: tuple[str, dict]) -> None:
    body, rules = case
    graph = Graph().parse(data=body, format="turtle")
    report = find_conflicts(graph).to_json()["conflicts"]
    for finding in report:
        if "example" in finding:
            assert shows(graph, finding), (finding, body)
    reported = {(f["lower"]["rule"], f["higher"]["rule"]) for f in report
                if f["class"] == "conflict" and f["kind"] != "widens"}
    missing = _brute_force(graph, rules) - reported
    assert not missing, (missing, report, body)


def test_the_brute_force_sees_a_conflict_and_a_settled_pair() -> None:
    body = WORLD + """ex:offer odrl:permission ex:one . ex:one odrl:action odrl:use ;
  odrl:assignee ex:B ; odrl:duty ex:tell . ex:tell odrl:action odrl:read .
ex:nat odrl:prohibition ex:two . ex:two odrl:action odrl:read .
ex:offer odrl:prohibition ex:three . ex:three odrl:action odrl:distribute .
ex:offer odrl:conflict odrl:perm ."""
    graph = Graph().parse(data=body, format="turtle")
    rules = {EX + "one": ("permission", "offer"), EX + "two": ("prohibition", "nat"),
             EX + "three": ("prohibition", "offer")}
    assert _brute_force(graph, rules) == {(EX + "one", EX + "two"), (EX + "tell", EX + "two")}
    reported = {(f["lower"]["rule"], f["higher"]["rule"], f["class"])
                for f in find_conflicts(graph).to_json()["conflicts"]}
    assert reported == {(EX + "one", EX + "two", "conflict"),
                        (EX + "tell", EX + "two", "conflict")}
