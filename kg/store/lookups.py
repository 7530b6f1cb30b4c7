"""Queries too small to need a query worker: one triple pattern on a given subject.

A query worker costs a round trip between processes (two wake-ups, a pickle each way) that
is most of a point look-up's time. A SELECT whose whole pattern is one triple with its
subject and predicate given (``SELECT ?title WHERE { <x> dct:title ?title }``) reads one
range of one index: its cost is bounded by that subject's triples for that predicate, it
cannot run away, and the result cap still applies (the same ``run_request``). It is
answered in the server process while its answer is at most ``INLINE_ROWS`` rows (past
that, a worker writes it, off the event loop). Anything else
(a variable subject or predicate, a property path, a second pattern, FILTER, OPTIONAL,
GRAPH, a subquery, ORDER BY, FROM) goes to a worker, where a deadline can end it.
"""

from __future__ import annotations

import re

#: Rows a point look-up may answer with in the server process.
INLINE_ROWS = 1000

_IRI = r'<[^<>"{}|^`\\\x00-\x20]*>'
_PNAME = r"[A-Za-z][\w-]*:[A-Za-z0-9_][\w-]*"  # no dots: the pattern's own "." stays apart
_TERM = rf"(?:{_IRI}|{_PNAME})"
_VAR = r"[?$][A-Za-z_]\w*"
_LITERAL = r'"[^"\\\n\r]*"(?:@[A-Za-z-]+|\^\^' + _TERM + r")?"
_PREFIX = rf"(?:PREFIX\s+(?:[A-Za-z][\w-]*)?:\s*{_IRI}\s*)"
_POINT = re.compile(
    rf"\s*{_PREFIX}*SELECT\s+(?:DISTINCT\s+|REDUCED\s+)?(?:{_VAR}\s*)+(?:WHERE\s*)?"
    rf"\{{\s*{_TERM}\s+(?:{_TERM}|a)\s+(?:{_VAR}|{_TERM}|{_LITERAL})\s*\.?\s*\}}"
    r"\s*(?:LIMIT\s+\d+\s*)?(?:OFFSET\s+\d+\s*)?", re.IGNORECASE)


def point_lookup(sparql: str) -> bool:
    """Whether ``sparql`` is one triple pattern with its subject and predicate given."""
    return len(sparql) < 4000 and _POINT.fullmatch(sparql) is not None
