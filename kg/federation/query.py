"""``dskg query --federated``: one query on this node and on every peer's SPARQL endpoint.

The answers are merged (SELECT rows de-duplicated, ASK true if any, CONSTRUCT graphs joined)
and each source reports its status (``ok``, ``timeout``, ``error``), latency and count. Peers
are asked in parallel, through the same peer-bound HTTP client as harvesting.
"""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from typing import Any

import httpx
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Identifier

from kg.errors import DskgError, QuerySyntaxError, ResultTooLarge
from kg.federation.fetch import PeerClient, PeerUnavailable
from kg.federation.peers import Peer, load_peers
from kg.rdfio import format_for_media_type, iter_quads
from kg.settings import Settings
from kg.sparql import QueryService, check_services, query_form
from kg.store import QueryResult, Store

_ACCEPT = {"SELECT": "application/sparql-results+json",
           "ASK": "application/sparql-results+json",
           "CONSTRUCT": "application/n-triples, text/turtle;q=0.9",
           "DESCRIBE": "application/n-triples, text/turtle;q=0.9"}


@dataclass
class SourceStatus:
    """How one source (this node, or a peer) answered."""

    name: str
    endpoint: str | None
    status: str  # ok | timeout | error
    latency_ms: float
    count: int = 0  # rows, or triples, it contributed before merging
    error: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "endpoint": self.endpoint, "status": self.status,
                "latency_ms": round(self.latency_ms, 1), "count": self.count,
                "error": self.error}


@dataclass
class FederatedResult:
    result: QueryResult
    sources: list[SourceStatus]

    def to_json(self) -> dict[str, Any]:
        return {"sources": [s.to_json() for s in self.sources]}

    def status_text(self) -> str:
        """One line per source, for the CLI (stderr under the result)."""
        lines = []
        for s in self.sources:
            line = f"{s.name}: {s.status}, {s.latency_ms:.0f} ms, {s.count} result(s)"
            lines.append(line + (f" — {s.error}" if s.error else ""))
        return "\n".join(lines)


def _term(binding: dict[str, str]) -> Identifier:
    kind, value = binding.get("type"), binding.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    datatype = binding.get("datatype")
    return Literal(value, lang=binding.get("xml:lang"),
                   datatype=URIRef(datatype) if datatype else None)


def parse_answer(form: str, content_type: str, body: bytes) -> QueryResult:
    """A peer's SPARQL answer (JSON results, or an RDF graph) as a QueryResult."""
    if form in ("CONSTRUCT", "DESCRIBE"):
        graph = Graph()
        for s, p, o, _g in iter_quads(body, format_for_media_type(content_type)):
            graph.add((s, p, o))
        return QueryResult(kind="CONSTRUCT", graph=graph)
    try:
        doc = json.loads(body)
        if "boolean" in doc:
            return QueryResult(kind="ASK", boolean=bool(doc["boolean"]))
        variables = list(doc["head"].get("vars", []))
        rows = [tuple(_term(b[v]) if v in b else None for v in variables)
                for b in doc["results"]["bindings"]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise PeerUnavailable(f"the answer is not SPARQL JSON results: {exc}") from None
    return QueryResult(kind="SELECT", variables=variables, rows=rows)


def _ask_peer(peer: Peer, sparql: str, form: str, timeout: float,
              transport: httpx.BaseTransport | None) -> tuple[QueryResult | None, SourceStatus]:
    started = time.monotonic()
    bounded = replace(peer, timeout=min(peer.timeout, timeout))
    assert peer.sparql is not None
    try:
        with PeerClient(bounded, transport) as client:
            answer = client.request("POST", peer.sparql, data={"query": sparql},
                                    headers={"Accept": _ACCEPT[form]})
        result = parse_answer(form, answer.content_type, answer.body)
    except DskgError as exc:
        status = "timeout" if exc.extra.get("timeout") else "error"
        return None, SourceStatus(peer.name, peer.sparql, status,
                                  (time.monotonic() - started) * 1000, error=exc.message)
    return result, SourceStatus(peer.name, peer.sparql, "ok",
                                (time.monotonic() - started) * 1000, count=_count(result))


def _count(result: QueryResult) -> int:
    if result.kind == "SELECT":
        return len(result.rows)
    if result.kind == "ASK":
        return int(bool(result.boolean))
    return len(result.graph) if result.graph is not None else 0


def _merge(form: str, answers: list[QueryResult], limit: int) -> QueryResult:
    if form == "ASK":
        return QueryResult(kind="ASK", boolean=any(a.boolean for a in answers))
    if form in ("CONSTRUCT", "DESCRIBE"):
        graph = Graph()
        for answer in answers:
            for triple in answer.graph or ():
                graph.add(triple)
        if len(graph) > limit:
            raise ResultTooLarge(f"the federated answer has more than {limit} triples")
        return QueryResult(kind="CONSTRUCT", graph=graph)
    variables: list[str] = []
    for answer in answers:
        variables += [v for v in answer.variables if v not in variables]
    rows: dict[tuple, None] = {}
    for answer in answers:
        for row in answer.dicts():
            rows[tuple(row.get(v) for v in variables)] = None
            if len(rows) > limit:
                raise ResultTooLarge(f"the federated answer has more than {limit} rows")
    return QueryResult(kind="SELECT", variables=variables, rows=list(rows))


def federated_query(settings: Settings, sparql: str, *, store: Store | None = None,
                    timeout: float | None = None,
                    transport: httpx.BaseTransport | None = None) -> FederatedResult:
    """Run ``sparql`` on ``store`` (this node, when given) and on every peer with a ``sparql``
    endpoint; merge the answers. A peer that fails or times out is reported, not raised."""
    form = query_form(sparql)
    if form == "UPDATE":
        raise QuerySyntaxError("a federated query cannot be an update")
    check_services(sparql, settings.service_allow)
    timeout = timeout or settings.query_timeout
    peers = [p for p in load_peers(settings) if p.sparql]
    answers: list[QueryResult] = []
    sources: list[SourceStatus] = []
    with ThreadPoolExecutor(max_workers=max(1, min(8, len(peers)))) as pool:
        futures = [pool.submit(_ask_peer, p, sparql, form, timeout, transport) for p in peers]
        if store is not None:
            started = time.monotonic()
            local = QueryService(store, settings).select(sparql)
            answers.append(local)
            sources.append(SourceStatus(settings.node_name, None, "ok",
                                        (time.monotonic() - started) * 1000, _count(local)))
        for future in futures:
            result, status = future.result()
            sources.append(status)
            if result is not None:
                answers.append(result)
    if not answers:
        empty = QueryResult(kind="SELECT") if form == "SELECT" else \
            QueryResult(kind="ASK", boolean=False) if form == "ASK" else \
            QueryResult(kind="CONSTRUCT", graph=Graph())
        return FederatedResult(empty, sources)
    return FederatedResult(_merge(form, answers, settings.result_limit), sources)
