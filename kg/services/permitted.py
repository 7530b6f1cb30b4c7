"""Which datasets may an organisation use? ``GET /datasets?may=ACTION&assignee=ORG``.

The datasets matching the listing's other filters are decided by the policy evaluator (the
same code and store slices as ``POST /policies/evaluate``); those it permits are the list, in
IRI order, each item with the rule that decided. Their offers and links are read in chunks of
a few queries; datasets whose own rows have the same shape up to the names of their offers'
nodes (``kg.policy.shapes``) get one decision, made on the first of them; the items of the
page are decided each (their reason and deciding rule are their own). Verdicts are kept per
store (``kg.policy.cache``) until the store changes, so the next page costs only its
summaries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from rdflib import URIRef
from rdflib.term import Node

from kg.errors import BadRequest
from kg.policy import shapes
from kg.policy.cache import PolicyCache, policy_cache_for
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
#: Verdicts kept per question (a whole large catalog, so its pages stay cheap), and the
#: questions kept.
MAX_KEPT = 250_000
MAX_QUESTIONS = 64
#: The policy cache's tables of rows that slices share.
SHARED_TABLES = ("space", "body", "party", "concept", "catalog")
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
           ) -> dict[URIRef, str]:
    """The evaluator's verdict on each target (kept until the store changes).

    Targets are read in chunks (a few queries each); those whose own rows have the same
    shape (``kg.policy.shapes``) share one decision; the others are decided one by one."""
    cache = policy_cache_for(ctx.store)
    table = _verdicts(cache, question)
    out: dict[URIRef, str] = {}
    missing: list[URIRef] = []
    for target in targets:
        known = table.get(target)
        if known is None:
            missing.append(target)
        else:
            out[target] = known
    if not missing:
        return out
    source = StoreSource(ctx.store, timeout=ctx.settings.query_timeout, cache=cache)
    engine = PolicyEngine(source)
    fixed = shapes.Question(question.request(str(missing[0])))
    # per shape: its first dataset, that one's renamed nodes and the properties read
    reps: dict[shapes.Key, tuple[URIRef, frozenset[str], frozenset[Node]]] = {}
    followers: list[tuple[URIRef, frozenset[str], frozenset[Node], URIRef, frozenset[str],
                          frozenset[Node]]] = []

    def decide_each(chunk: list[URIRef]) -> None:
        for target, decision in zip(chunk, engine.evaluate_many(
                [question.request(str(t)) for t in chunk]), strict=True):
            out[target] = _keep(cache, question, target, decision)

    for start in range(0, len(missing), CHUNK):
        chunk = missing[start:start + CHUNK]
        own = source.prefetch(chunk)
        reads = shapes.readable(source.preload(own.values()) | shapes.operands(
            row for rows in own.values() for row in rows))
        alone: list[URIRef] = []
        for target in chunk:
            rows = own.get(target)
            found = None if rows is None else shapes.shape(target, rows, fixed, reads)
            if found is None:
                alone.append(target)
                continue
            key, renamed = found
            rep = reps.get(key)
            if rep is None:
                reps[key] = (target, renamed, reads)
                alone.append(target)
            else:
                followers.append((target, renamed, reads, *rep))
        decide_each(alone)
        source.forget()
    # A renamed node found in the rows slices share (tier policies, the party, concepts) ties
    # the decision to its name, and an operand found there may read a property left out of
    # the key: such datasets are decided alone.
    tables = [cache.table(name) for name in SHARED_TABLES]
    shared = shapes.shared_nodes(tables)
    needed = shapes.readable(shapes.operands(
        row for table in tables for rows in list(table.values()) for row in rows))
    again: list[URIRef] = []
    for target, renamed, reads, first, first_renamed, first_reads in followers:
        if (renamed.isdisjoint(shared) and first_renamed.isdisjoint(shared)
                and needed <= reads and needed <= first_reads):
            out[target] = table[target] = out[first]
        else:
            again.append(target)
    for start in range(0, len(again), CHUNK):
        decide_each(again[start:start + CHUNK])
    return out


def _keep(cache: PolicyCache, question: Question, target: URIRef, decision: Decision) -> str:
    cache.get("permitted-item", (question, target), partial(item_decision, decision),
              MAX_KEPT)
    _verdicts(cache, question)[target] = decision.decision
    return decision.decision


def _verdicts(cache: PolicyCache, question: Question) -> dict[URIRef, str]:
    """The verdicts kept for ``question``, by dataset (one table per question: a whole
    catalog's lookups then hash only the dataset IRIs)."""
    table = cache.get("permitted", question, dict, MAX_QUESTIONS)
    if len(table) >= MAX_KEPT:
        table.clear()
    return table


def explain(ctx: ServiceContext, question: Question, targets: list[URIRef]
            ) -> dict[URIRef, dict[str, Any]]:
    """Each target's decision with its reason and deciding rule (decided again when the
    list gave it its shape's verdict)."""
    cache = policy_cache_for(ctx.store)
    table = cache.table("permitted-item")
    out: dict[URIRef, dict[str, Any]] = {}
    missing = []
    for target in targets:
        known = table.get((question, target))
        if known is None:
            missing.append(target)
        else:
            out[target] = known
    if missing:
        source = StoreSource(ctx.store, timeout=ctx.settings.query_timeout, cache=cache)
        source.prefetch(missing)
        engine = PolicyEngine(source)
        for target, decision in zip(missing, engine.evaluate_many(
                [question.request(str(t)) for t in missing]), strict=True):
            _keep(cache, question, target, decision)
            out[target] = item_decision(decision)
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
    verdicts = decide(ctx, question, targets)
    allowed = [t for t in targets if verdicts[t] == "permit"]
    page = allowed[offset:offset + limit]
    items = summaries(ctx, KINDS["datasets"], page)
    details = explain(ctx, question, page)
    for item, target in zip(items, page, strict=True):
        item.update(details[target])
    return Page(KINDS["datasets"], len(allowed), limit, offset, items, "iri")
