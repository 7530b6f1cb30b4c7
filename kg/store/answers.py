"""Query answers as they cross the store interface: rdflib terms, or bytes in a wire format.

Its own module so that the interface (``base``) and the serialisers (``results``) both
import it, and neither imports the other.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Literal

from rdflib import Graph
from rdflib.term import Identifier

QueryKind = Literal["SELECT", "ASK", "CONSTRUCT", "DESCRIBE"]

#: Result formats the store can serialise natively (media type -> short name).
RESULT_FORMATS = {
    "application/sparql-results+json": "json",
    "application/sparql-results+xml": "xml",
    "text/csv": "csv",
    "text/tab-separated-values": "tsv",
}
GRAPH_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "ntriples",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
}


@dataclass
class QueryResult:
    """A query answer in rdflib terms.

    SELECT: ``variables`` and ``rows`` (tuples aligned with ``variables``; ``None`` = unbound).
    ASK: ``boolean``. CONSTRUCT/DESCRIBE: ``graph``.
    """

    kind: QueryKind
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Identifier | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    graph: Graph | None = None

    def dicts(self) -> Iterator[dict[str, Identifier | None]]:
        for row in self.rows:
            yield dict(zip(self.variables, row, strict=True))

    def column(self, name: str) -> list[Identifier | None]:
        i = self.variables.index(name)
        return [row[i] for row in self.rows]


@dataclass
class SerializedResult:
    """A query answer already in a wire format (for the SPARQL endpoint)."""

    media_type: str
    body: bytes
