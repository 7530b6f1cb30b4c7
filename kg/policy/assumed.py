"""A read-only view of a graph plus a few assumed triples (the "what if" of the conflict
report: a party that is a member of two collections, a concept under two classes).

It offers the part of rdflib's Graph API the evaluator reads, so the evaluator itself
answers the hypothetical request; the base graph is never copied or changed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from rdflib import RDF
from rdflib.term import Node

from kg.policy.triples import Triple, Triples


class Assumed:
    def __init__(self, base: Any, extra: Iterable[Triple]) -> None:
        self.base = base
        self.extra = Triples(t for t in extra if t not in base)

    def objects(self, subject: Node | None = None, predicate: Node | None = None
                ) -> Iterator[Node]:
        found = list(self.base.objects(subject, predicate))
        found.extend(o for o in self.extra.objects(subject, predicate) if o not in found)
        return iter(found)

    def subjects(self, predicate: Node | None = None, object: Node | None = None
                 ) -> Iterator[Node]:
        found = list(self.base.subjects(predicate, object))
        found.extend(s for s in self.extra.subjects(predicate, object) if s not in found)
        return iter(found)

    def value(self, subject: Node | None = None, predicate: Node = RDF.value,
              object: Node | None = None, default: Node | None = None, any: bool = True
              ) -> Node | None:
        if subject is not None:
            return next(self.objects(subject, predicate), default)
        return next(self.subjects(predicate, object), default)

    def predicate_objects(self, subject: Node) -> Iterator[tuple[Node, Node]]:
        return iter([*self.base.predicate_objects(subject),
                     *self.extra.predicate_objects(subject)])

    def subject_objects(self, predicate: Node) -> Iterator[tuple[Node, Node]]:
        return iter([*self.base.subject_objects(predicate),
                     *self.extra.subject_objects(predicate)])

    def items(self, start: Node) -> Iterator[Node]:
        return self.base.items(start)  # assumptions never add list cells

    def triples(self, pattern: tuple[Node | None, Node | None, Node | None]
                ) -> Iterator[Triple]:
        return iter([*self.base.triples(pattern), *self.extra.triples(pattern)])

    def __contains__(self, triple: tuple[Node | None, Node | None, Node | None]) -> bool:
        return triple in self.base or triple in self.extra

    def __iter__(self) -> Iterator[Triple]:
        return self.triples((None, None, None))

    def __len__(self) -> int:
        return len(self.base) + len(self.extra)
