"""Which datasets may an organisation use? ``GET /datasets?may=ACTION&assignee=ORG``.

The datasets matching the listing's other filters are each decided by the policy evaluator
(the same code and store slices as ``POST /policies/evaluate``, so the list agrees with single
decisions by construction); those it permits are the list, in IRI order, each item with the
rule that decided. Decisions are kept per store (``kg.policy.cache``) until the store changes,
so the next page costs only its summaries; requests on datasets share the assignee's slice
and the data spaces' tier policies.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from rdflib import URIRef

from kg.errors import BadRequest
from kg.policy.cache import policy_cache_for
from kg.policy.evaluator import Decision
from kg.policy.explain import deciding_json
from kg.policy.request import Request, build_request
from kg.policy.source import PolicyEngine, StoreSource
from kg.services.context import ServiceContext
from kg.services.kinds import KINDS
from kg.services.listing import (
    MAX_LIMIT,
    PREFIXES,
    Filters,
    Page,
    _NoMatchError,
    bindings_for,
    summaries,
    where_clause,
)
from kg.services.textindex import kind_members, text_index_for

#: Decisions asked of the engine at once (they share the assignee's and data spaces' slices).
CHUNK = 500
#: Decisions kept (a whole large catalog, so its pages stay cheap).
MAX_KEPT = 250_000
QUERY_FIELDS = ("may", "assignee", "purpose", "at", "spatial", "dutiesDone")


@dataclass(frozen=True)
class Question:
    """The request every dataset is asked (its target left open)."""

    assignee: str
    action: str
    purpose: str | None = None
    at: str | datetime | None = None
    spatial: str | None = None
    duties_done: tuple[str, ...] = ()

    def request(self, target: str) -> Request:
        return build_request(assignee=self.assignee, action=self.action, target=target,
                             purpose=self.purpose, at=self.at, spatial=self.spatial,
                             duties_done=self.duties_done)


def question_from_params(params: Any) -> Question:
    """``may``, ``assignee``, ``purpose``, ``at``, ``spatial``, ``dutiesDone`` (repeatable or
    comma-separated) from query parameters."""
    action, assignee = params.get("may"), params.get("assignee")
    if not action or not assignee:
        raise BadRequest("may=ACTION needs assignee=ORG (the organisation asking), and "
                         "assignee needs may")
    duties: list[str] = []
    getter = getattr(params, "getlist", None)
    raw = getter("dutiesDone") if getter else [params.get("dutiesDone") or ""]
    for value in raw:
        duties.extend(d.strip() for d in str(value).split(",") if d.strip())
    question = Question(assignee, action, params.get("purpose") or None,
                        params.get("at") or None, params.get("spatial") or None, tuple(duties))
    probe = question.request("urn:dskg:probe")  # BadRequest on any invalid value, now
    if question.at is None:  # "now": the current minute, so the pages of a list agree
        return replace(question, at=probe.at.replace(second=0, microsecond=0))
    return replace(question, at=probe.at)


def candidates(ctx: ServiceContext, filters: Filters) -> list[URIRef]:
    """Every dataset the listing's other filters let through, in IRI order."""
    kind = KINDS["datasets"]
    where = where_clause(kind, filters)
    try:
        bound = bindings_for(ctx, filters)
    except _NoMatchError:
        return []
    if filters.q:
        index = text_index_for(ctx.store, ctx.settings)
        found = index.matches(filters.q) if index is not None else None
        if found is not None:
            members = kind_members(found, kind)
            if not members:
                return []
            where = where_clause(kind, filters, members)
            bound.pop("f_q")
    rows = ctx.store.query(f"{PREFIXES}SELECT DISTINCT ?s WHERE {{ {where} }}", bound,
                           timeout=ctx.settings.query_timeout).rows
    return sorted(r[0] for r in rows if isinstance(r[0], URIRef))


def decide(ctx: ServiceContext, question: Question, targets: Iterable[URIRef]
           ) -> dict[URIRef, dict[str, Any]]:
    """The evaluator's decision on each target, as ``item_decision`` (kept until the store
    changes)."""
    cache = policy_cache_for(ctx.store)
    table = cache.table("permitted")
    out: dict[URIRef, dict[str, Any]] = {}
    missing: list[URIRef] = []
    for target in targets:
        known = table.get((question, target))
        if known is None:
            missing.append(target)
        else:
            out[target] = known
    source = StoreSource(ctx.store, timeout=ctx.settings.query_timeout, cache=cache)
    engine = PolicyEngine(source)
    for start in range(0, len(missing), CHUNK):
        chunk = missing[start:start + CHUNK]
        source.prefetch(chunk)
        for target, decision in zip(chunk, engine.evaluate_many(
                [question.request(str(t)) for t in chunk]), strict=True):
            out[target] = cache.get("permitted", (question, target),
                                    partial(item_decision, decision), MAX_KEPT)
    return out


def item_decision(decision: Decision) -> dict[str, Any]:
    return {"decision": decision.decision, "reason": decision.reason,
            "deciding": deciding_json(decision.deciding)}


def permitted(ctx: ServiceContext, filters: Filters, question: Question, *,
              limit: int = 50, offset: int = 0) -> Page:
    """The page of datasets ``question`` is permitted on, with the exact total."""
    if not 1 <= limit <= MAX_LIMIT:
        raise BadRequest(f"limit must be between 1 and {MAX_LIMIT}")
    if offset < 0:
        raise BadRequest("offset must not be negative")
    targets = candidates(ctx, filters)
    decisions = decide(ctx, question, targets)
    allowed = [t for t in targets if decisions[t]["decision"] == "permit"]
    page = allowed[offset:offset + limit]
    items = summaries(ctx, KINDS["datasets"], page)
    for item, target in zip(items, page, strict=True):
        item.update(decisions[target])
    return Page(KINDS["datasets"], len(allowed), limit, offset, items, "iri")
