"""The SPARQL page: example queries, results shown by label, errors with line and column.

Queries run through the node's ``QueryService`` (SERVICE allow-list, timeout, result cap),
exactly as ``/sparql`` runs them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.errors import DskgError
from kg.services.context import ServiceContext
from kg.sparql import QueryService, query_form
from kg.web.labels import Names, fallback_label, lookup

SHOWN_ROWS = 500
#: The README's example queries (tests check they stay the same), then a few more.
# ruff: noqa: E501 - the queries are kept exactly as the README prints them
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("Agriculture datasets usable for research, with their publishers", """\
# Which datasets in the agriculture data space may be used for research, and who publishes them?
PREFIX dcat: <http://www.w3.org/ns/dcat#>
PREFIX dct:  <http://purl.org/dc/terms/>
PREFIX odrl: <http://www.w3.org/ns/odrl/2/>
PREFIX dskg: <https://w3id.org/dskg#>
SELECT ?dataset ?title ?publisher WHERE {
  ?space dskg:catalog/dcat:dataset ?dataset ; dcat:theme <http://publications.europa.eu/resource/authority/data-theme/AGRI> .
  ?dataset dct:title ?title ; dct:publisher ?publisher ; odrl:hasPolicy/odrl:permission/odrl:action odrl:use .
}"""),
    ("Governance chain of every project-tier data space up to the EU tier", """\
# The governance chain of every project-tier data space up to the EU tier
PREFIX dskg: <https://w3id.org/dskg#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?space ?framework ?tier WHERE {
  ?space a dskg:DataSpace ; dskg:tier dskg:ProjectTier ; dskg:subjectTo+ ?framework .
  ?framework dskg:tier ?tier .
}"""),
    ("Members of each data space with their role", """\
# Members of each data space with their role
PREFIX org: <http://www.w3.org/ns/org#>
PREFIX skos: <http://www.w3.org/2004/02/skos/core#>
SELECT ?spaceLabel ?memberLabel ?role WHERE {
  ?m org:organization ?space ; org:member ?member ; org:role ?role .
  ?space skos:prefLabel ?spaceLabel . ?member skos:prefLabel ?memberLabel .
} ORDER BY ?spaceLabel"""),
    ("Data spaces per governance tier (count)", """\
PREFIX dskg: <https://w3id.org/dskg#>
SELECT ?tier (COUNT(?space) AS ?spaces) WHERE {
  ?space a dskg:DataSpace ; dskg:tier ?tier .
} GROUP BY ?tier ORDER BY DESC(?spaces)"""),
    ("Tier policies and what they inherit from", """\
PREFIX odrl: <http://www.w3.org/ns/odrl/2/>
PREFIX dskg: <https://w3id.org/dskg#>
SELECT ?policy ?tier ?parent WHERE {
  ?policy a odrl:Set ; dskg:tier ?tier .
  OPTIONAL { ?policy odrl:inheritFrom ?parent }
} ORDER BY ?tier ?policy"""),
)
README_EXAMPLES = 3


@dataclass
class Cell:
    text: str
    href: str | None = None
    iri: str | None = None
    note: str | None = None


@dataclass
class QueryError:
    message: str
    line: int | None = None
    column: int | None = None
    excerpt: list[tuple[int, str]] = field(default_factory=list)


@dataclass
class Outcome:
    form: str = ""
    variables: list[str] = field(default_factory=list)
    rows: list[list[Cell]] = field(default_factory=list)
    total: int = 0
    boolean: bool | None = None
    elapsed_ms: float = 0.0
    error: QueryError | None = None

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def _cell(ctx: ServiceContext, node: Node | None, names: Names) -> Cell:
    if node is None:
        return Cell("")
    if isinstance(node, Literal):
        note = node.language or (fallback_label(node.datatype) if node.datatype else None)
        return Cell(str(node), note=note)
    if isinstance(node, BNode):
        return Cell(f"_:{node}")
    href = names.href(ctx, node) or (str(node) if str(node).startswith(("http://", "https://"))
                                     else None)
    return Cell(names.label(node), href, str(node))


def _error(exc: DskgError, query: str) -> QueryError:
    line, column = exc.extra.get("line"), exc.extra.get("column")
    excerpt: list[tuple[int, str]] = []
    if isinstance(line, int):
        lines = query.splitlines()
        excerpt = [(n, lines[n - 1]) for n in range(max(1, line - 1), min(len(lines), line + 1)
                                                  + 1)]
    return QueryError(exc.message, line if isinstance(line, int) else None,
                      column if isinstance(column, int) else None, excerpt)


def run(ctx: ServiceContext, query: str) -> Outcome:
    service = QueryService(ctx.store, ctx.settings)
    started = time.perf_counter()
    try:
        form = query_form(query)
        if form == "UPDATE":
            return Outcome(error=QueryError("this page runs queries only; send updates to "
                                            "/sparql with an admin token"))
        result = service.select(query)
    except DskgError as exc:
        return Outcome(error=_error(exc, query))
    outcome = Outcome(form=form, elapsed_ms=(time.perf_counter() - started) * 1000)
    if result.boolean is not None:
        outcome.boolean = result.boolean
        return outcome
    if result.graph is not None:
        triples = sorted(result.graph, key=lambda t: tuple(str(x) for x in t))
        outcome.variables = ["subject", "predicate", "object"]
        rows: list[tuple[Node | None, ...]] = [tuple(t) for t in triples]
    else:
        outcome.variables = list(result.variables)
        rows = list(result.rows)
    outcome.total = len(rows)
    shown = rows[:SHOWN_ROWS]
    names = lookup(ctx, {n for row in shown for n in row if isinstance(n, URIRef)})
    outcome.rows = [[_cell(ctx, n, names) for n in row] for row in shown]
    return outcome


DOWNLOADS = {"csv": ("text/csv", "csv"), "tsv": ("text/tab-separated-values", "tsv"),
             "json": ("application/sparql-results+json", "json"),
             "ttl": ("text/turtle", "ttl")}


def download(ctx: ServiceContext, query: str, fmt: str) -> tuple[bytes, str]:
    """The results serialised by the store, as ``/sparql`` answers them."""
    media, _ext = DOWNLOADS[fmt]
    form = query_form(query)
    if form in ("CONSTRUCT", "DESCRIBE") and fmt != "ttl":
        media = "text/turtle"
    if form in ("SELECT", "ASK") and fmt == "ttl":
        media = "text/csv"
    result = QueryService(ctx.store, ctx.settings).serialized(query, media)
    return result.body, result.media_type
