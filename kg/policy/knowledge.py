"""What the graph says about the things a request names: hierarchies, memberships, places.

Two hierarchies serve the operators: "is a" (``skos:broader``, ``rdf:type``,
``rdfs:subClassOf``) for ``isA``, and "is part of" (``skos:broader``, ``dct:isPartOf``,
``odrl:partOf``, ``org:subOrganizationOf``, ``org:memberOf`` and memberships) for
``isPartOf``/``hasPart``; places (countries, regions) compare as sets of country codes.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import OWL, RDF, RDFS, Graph, URIRef
from rdflib.namespace import SKOS
from rdflib.term import Node

from kg.namespaces import DCT, ODRL, ORG
from kg.policy import places

ISA_LINKS = (SKOS.broader, RDF.type, RDFS.subClassOf)
PART_LINKS = (SKOS.broader, DCT.isPartOf, ODRL.partOf, ORG.subOrganizationOf, ORG.memberOf)
SAME_LINKS = (OWL.sameAs, SKOS.exactMatch)
#: Every link the store source fetches transitively for the values a request involves.
ALL_LINKS = tuple(dict.fromkeys(ISA_LINKS + PART_LINKS + SAME_LINKS))


class Knowledge:
    """Closures over one rdflib Graph, memoised (a graph is read-only while evaluating)."""

    def __init__(self, graph: Graph) -> None:
        self.graph = graph
        self._cache: dict[tuple[str, Node], frozenset[Node]] = {}

    def _closure(self, key: str, start: Node, links: Iterable[URIRef],
                 memberships: bool = False) -> frozenset[Node]:
        cached = self._cache.get((key, start))
        if cached is not None:
            return cached
        seen = {start} | self.same_as(start)
        frontier = list(seen)
        while frontier:
            node = frontier.pop()
            found: list[Node] = []
            for link in links:
                found.extend(self.graph.objects(node, link))
            if memberships:
                found.extend(self.organisations_of(node))
            for other in found:
                for alias in {other} | self.same_as(other):
                    if alias not in seen:
                        seen.add(alias)
                        frontier.append(alias)
        result = frozenset(seen)
        self._cache[(key, start)] = result
        return result

    def same_as(self, node: Node) -> set[Node]:
        out: set[Node] = set()
        for link in SAME_LINKS:
            out.update(self.graph.objects(node, link))
            out.update(self.graph.subjects(link, node))
        return out

    def organisations_of(self, party: Node) -> list[Node]:
        """Organisations (e.g. data spaces) ``party`` is a member of, by org:Membership."""
        return [org for membership in self.graph.subjects(ORG.member, party)
                for org in self.graph.objects(membership, ORG.organization)]

    def roles_in(self, party: Node, organisation: Node) -> set[Node]:
        return {role for membership in self.graph.subjects(ORG.member, party)
                if (membership, ORG.organization, organisation) in self.graph
                for role in self.graph.objects(membership, ORG.role)}

    def isa_ancestors(self, node: Node) -> frozenset[Node]:
        return self._closure("isa", node, ISA_LINKS)

    def part_ancestors(self, node: Node) -> frozenset[Node]:
        return self._closure("part", node, PART_LINKS, memberships=True)

    def party_collections(self, party: Node) -> frozenset[Node]:
        """The party collections ``party`` is (transitively) ``odrl:partOf``."""
        return self._closure("partof", party, (ODRL.partOf,)) - {party}

    def org_ancestors(self, party: Node) -> frozenset[Node]:
        """``party`` and every organisation it is (transitively) a sub-organisation of."""
        return self._closure("org", party, (ORG.subOrganizationOf,))

    # -- the relations the operators use --------------------------------------------------
    def is_a(self, left: Node, right: Node) -> bool:
        if right in self.isa_ancestors(left):
            return True
        return self._place_within(left, right)

    def within(self, left: Node, right: Node) -> bool:
        """``left`` is part of ``right`` (or equal to it)."""
        if right in self.part_ancestors(left):
            return True
        return self._place_within(left, right)

    def _place_within(self, left: Node, right: Node) -> bool:
        outer = places.codes(right)
        if outer is None:
            return False
        for node in self.part_ancestors(left):
            inner = places.codes(node)
            if inner is not None and inner <= outer:
                return True
        return False
