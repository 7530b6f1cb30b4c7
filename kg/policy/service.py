"""The policy operations the CLI and the API share."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rdflib import Graph

from kg.errors import BadRequest, PayloadTooLarge
from kg.policy.conflicts import ConflictReport, find_conflicts, load_governance
from kg.policy.evaluator import Decision
from kg.policy.request import Request, request_from_json
from kg.policy.source import GraphSource, PolicyEngine, StoreSource
from kg.policy.triples import Triples
from kg.store.base import Store

#: Exit codes of `dskg evaluate` (2, bad input, comes from BadRequest).
EXIT_CODES = {"permit": 0, "deny": 3, "not-applicable": 4}
MAX_BATCH = 1000


def read_policies(path: str | Path) -> Graph:
    """Every triple of an RDF file (any supported format), all graphs merged."""
    from kg.rdfio import parse_file

    graph = Graph()
    for triple in parse_file(path).triples((None, None, None)):
        graph.add(triple)
    return graph


def engine(store: Store | None, *, policies: Graph | None = None,
           timeout: float | None = 10.0) -> PolicyEngine:
    """Over the store (with ``policies`` replacing its offers), or over ``policies`` alone."""
    if store is None:
        if policies is None:
            raise BadRequest("nothing to evaluate against: no store and no policies")
        return PolicyEngine(GraphSource(policies))
    return PolicyEngine(StoreSource(store, overlay=policies, timeout=timeout))


def evaluate(store: Store, request: Request, *, policies: Graph | None = None,
             timeout: float | None = 10.0) -> Decision:
    return engine(store, policies=policies, timeout=timeout).evaluate(request)


def evaluate_json(store: Store, body: Any, *, timeout: float | None = 10.0) -> dict[str, Any]:
    """``POST /policies/evaluate``: a request object in, a decision object out."""
    return evaluate(store, request_from_json(body), timeout=timeout).to_json()


def evaluate_batch_json(store: Store, body: Any, *, timeout: float | None = 10.0,
                        max_batch: int = MAX_BATCH) -> dict[str, Any]:
    """``POST /policies/evaluate/batch``: ``{"requests": [...]}`` -> ``{"results": [...]}``."""
    if not isinstance(body, dict) or not isinstance(body.get("requests"), list):
        raise BadRequest('a batch is a JSON object {"requests": [...]}')
    items: Sequence[Any] = body["requests"]
    if len(items) > max_batch:
        raise PayloadTooLarge(f"a batch holds at most {max_batch} requests, got {len(items)}")
    requests = []
    for index, item in enumerate(items):
        try:
            requests.append(request_from_json(item))
        except BadRequest as exc:
            raise BadRequest(f"requests[{index}]: {exc.message}") from None
    decisions = engine(store, timeout=timeout).evaluate_many(requests)
    return {"results": [d.to_json() for d in decisions]}


def conflicts(store: Store, *, timeout: float | None = None) -> ConflictReport:
    return find_conflicts(load_governance(store, timeout=timeout, into=Triples()))
