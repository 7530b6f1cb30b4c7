"""A small read-mostly triple set with the part of rdflib's Graph API the evaluator uses.

The evaluator reads a slice of a few hundred triples per request; rdflib's memory store
costs ~40 µs per added triple (it keeps contexts), which made building the slice dearer
than evaluating it. Two dict indexes (s -> p -> objects, p -> o -> subjects) cost ~1 µs.
Values keep their insertion order and repeat nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from rdflib import RDF
from rdflib.term import Node

Triple = tuple[Node, Node, Node]


class Triples:
    def __init__(self, rows: Iterable[Triple] = ()) -> None:
        self._spo: dict[Node, dict[Node, dict[Node, None]]] = {}
        self._pos: dict[Node, dict[Node, dict[Node, None]]] = {}
        self._count = 0
        self.add_all(rows)

    def add(self, triple: Triple) -> None:
        s, p, o = triple
        objects = self._spo.setdefault(s, {}).setdefault(p, {})
        if o not in objects:
            objects[o] = None
            self._pos.setdefault(p, {}).setdefault(o, {})[s] = None
            self._count += 1

    def add_all(self, rows: Iterable[Triple]) -> None:
        spo, pos = self._spo, self._pos
        for s, p, o in rows:
            objects = spo.setdefault(s, {}).setdefault(p, {})
            if o not in objects:
                objects[o] = None
                pos.setdefault(p, {}).setdefault(o, {})[s] = None
                self._count += 1

    # -- the rdflib Graph API subset ------------------------------------------------------
    def objects(self, subject: Node | None = None, predicate: Node | None = None
                ) -> Iterator[Node]:
        if subject is not None and predicate is not None:
            return iter(list(self._spo.get(subject, {}).get(predicate, ())))
        return (o for _, _, o in self.triples((subject, predicate, None)))

    def subjects(self, predicate: Node | None = None, object: Node | None = None
                 ) -> Iterator[Node]:
        if predicate is not None and object is not None:
            return iter(list(self._pos.get(predicate, {}).get(object, ())))
        seen: dict[Node, None] = {}
        for s, _, _ in self.triples((None, predicate, object)):
            seen[s] = None
        return iter(list(seen))

    def value(self, subject: Node | None = None, predicate: Node = RDF.value,
              object: Node | None = None, default: Node | None = None, any: bool = True
              ) -> Node | None:
        if subject is not None:
            return next(self.objects(subject, predicate), default)
        return next(self.subjects(predicate, object), default)

    def predicate_objects(self, subject: Node) -> Iterator[tuple[Node, Node]]:
        return iter([(p, o) for p, objects in self._spo.get(subject, {}).items()
                     for o in objects])

    def subject_objects(self, predicate: Node) -> Iterator[tuple[Node, Node]]:
        return iter([(s, o) for o, subjects in self._pos.get(predicate, {}).items()
                     for s in subjects])

    def items(self, start: Node) -> Iterator[Node]:
        """The members of the RDF list starting at ``start``."""
        seen = set()
        node: Node | None = start
        while node is not None and node != RDF.nil and node not in seen:
            seen.add(node)
            first = self.value(node, RDF.first)
            if first is not None:
                yield first
            node = self.value(node, RDF.rest)

    def triples(self, pattern: tuple[Node | None, Node | None, Node | None]
                ) -> Iterator[Triple]:
        s, p, o = pattern
        out: list[Triple] = []
        if s is not None:
            by_p = self._spo.get(s, {})
            for pred in ([p] if p is not None else list(by_p)):
                for obj in by_p.get(pred, ()):
                    if o is None or obj == o:
                        out.append((s, pred, obj))
        elif p is not None:
            by_o = self._pos.get(p, {})
            for obj in ([o] if o is not None else list(by_o)):
                out.extend((subj, p, obj) for subj in by_o.get(obj, ()))
        else:
            for subj, by_p in self._spo.items():
                for pred, objects in by_p.items():
                    out.extend((subj, pred, obj) for obj in objects if o is None or obj == o)
        return iter(out)

    def __contains__(self, triple: tuple[Node | None, Node | None, Node | None]) -> bool:
        s, p, o = triple
        if s is not None and p is not None and o is not None:
            return o in self._spo.get(s, {}).get(p, ())
        return next(self.triples(triple), None) is not None

    def __iter__(self) -> Iterator[Triple]:
        return self.triples((None, None, None))

    def __len__(self) -> int:
        return self._count
