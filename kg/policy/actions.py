"""The ODRL action hierarchy, read from the shipped ODRL 2.2 vocabulary.

``odrl:includedIn`` is transitive: a rule about ``odrl:use`` covers ``odrl:read``. Deprecated
actions are read as the action they match (``odrl:copy`` = ``odrl:reproduce``).
``odrl:implies`` says performing one action entails another, so a prohibition of the implied
action concerns a request for the implying one. Graphs may add their own actions.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache
from importlib import resources

from rdflib import OWL, Graph, URIRef
from rdflib.namespace import SKOS

from kg.namespaces import ODRL


class ActionHierarchy:
    """Parents (``includedIn``), implications and equivalences between actions."""

    def __init__(self) -> None:
        self._parents: dict[URIRef, set[URIRef]] = defaultdict(set)
        self._implies: dict[URIRef, set[URIRef]] = defaultdict(set)
        self._same: dict[URIRef, URIRef] = {}

    def add_graph(self, graph: Graph) -> ActionHierarchy:
        for child, parent in graph.subject_objects(ODRL.includedIn):
            if isinstance(child, URIRef) and isinstance(parent, URIRef):
                self._parents[child].add(parent)
        for action, implied in graph.subject_objects(ODRL.implies):
            if isinstance(action, URIRef) and isinstance(implied, URIRef):
                self._implies[action].add(implied)
        for prop in (OWL.sameAs, SKOS.exactMatch):
            for old, new in graph.subject_objects(prop):
                # Only action-to-action equivalences in the ODRL namespace (not cc: licences).
                if (isinstance(old, URIRef) and isinstance(new, URIRef)
                        and str(old).startswith(str(ODRL)) and str(new).startswith(str(ODRL))):
                    self._same[old] = new
        return self

    def extended(self, graph: Graph) -> ActionHierarchy:
        """A copy that also knows the actions declared in ``graph``."""
        if not any(True for _ in graph.triples((None, ODRL.includedIn, None))) and not any(
                True for _ in graph.triples((None, ODRL.implies, None))):
            return self
        copy = ActionHierarchy()
        copy._parents = defaultdict(set, {k: set(v) for k, v in self._parents.items()})
        copy._implies = defaultdict(set, {k: set(v) for k, v in self._implies.items()})
        copy._same = dict(self._same)
        return copy.add_graph(graph)

    def canonical(self, action: URIRef) -> URIRef:
        seen = set()
        while action in self._same and action not in seen:
            seen.add(action)
            action = self._same[action]
        return action

    def ancestors(self, action: URIRef) -> list[URIRef]:
        """``action`` and every action it is (transitively) included in, nearest first."""
        start = self.canonical(action)
        order, frontier, seen = [start], [start], {start}
        while frontier:
            nxt = []
            for node in frontier:
                for parent in sorted(self._parents.get(node, ())):
                    parent = self.canonical(parent)
                    if parent not in seen:
                        seen.add(parent)
                        order.append(parent)
                        nxt.append(parent)
            frontier = nxt
        return order

    def covers(self, general: URIRef, specific: URIRef) -> bool:
        """True when a rule about ``general`` concerns a request to perform ``specific``."""
        return self.canonical(general) in self.ancestors(specific)

    def implied(self, action: URIRef) -> list[URIRef]:
        """Actions that performing ``action`` (or anything it is included in) entails."""
        out: list[URIRef] = []
        frontier = [self.canonical(action)]
        seen = set(frontier)
        while frontier:
            node = frontier.pop()
            for implied in sorted(self._implies.get(node, ())):
                implied = self.canonical(implied)
                if implied not in seen:
                    seen.add(implied)
                    out.append(implied)
                    frontier.append(implied)
        return out

    def overlap(self, a: URIRef, b: URIRef) -> URIRef | None:
        """The narrower of two actions when one covers the other (a request both concern)."""
        if self.covers(a, b):
            return self.canonical(b)
        if self.covers(b, a):
            return self.canonical(a)
        return None


@cache
def odrl_actions() -> ActionHierarchy:
    """The hierarchy of the ODRL 2.2 vocabulary shipped as ``kg/policy/odrl22.ttl``."""
    graph = Graph()
    data = resources.files("kg.policy").joinpath("odrl22.ttl").read_bytes()
    graph.parse(data=data, format="turtle")
    return ActionHierarchy().add_graph(graph)
