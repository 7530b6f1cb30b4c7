"""Which datasets may an organisation use? ``GET /datasets?may=ACTION&assignee=ORG``.

The datasets matching the listing's other filters are decided by the policy evaluator (the
same code and store slices as ``POST /policies/evaluate``); those it permits are the list, in
IRI order, each item with the rule that decided. The shape index (``kg.policy.shapeindex``,
kept current by the store's change events) groups the datasets whose own rows have the same
shape up to the names of their own nodes (``kg.policy.shapes``); one decision per group, made
on its first dataset, is the verdict of all of them; the items of the page are decided each
(their reason and deciding rule are their own). The list is kept per store
(``kg.policy.cache``) until the store changes, so the next page costs only its summaries.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from typing import Any

from rdflib import URIRef

from kg.errors import BadRequest
from kg.policy import shapes
from kg.policy.cache import PolicyCache, policy_cache_for
from kg.policy.evaluator import Decision
from kg.policy.explain import deciding_json
from kg.policy.request import Request, build_request
from kg.policy.shapeindex import ShapeIndex, shape_index_for
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
SHARED_TABLES = ("space", "body", "party", "concept", "catalog", "collection")
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


def permitted_targets(ctx: ServiceContext, question: Question) -> list[URIRef]:
    """Every dataset ``question`` is permitted on, in IRI order (kept until the store
    changes).

    The shape index (``kg.policy.shapeindex``) groups the datasets whose own rows have the
    same key; one dataset of each group is decided and its verdict given to the others,
    unless a renamed node of theirs is named by the question or held in the rows the slices
    share (tier policies, parties, concepts: checked after deciding); those, and the
    datasets the index could not group, are decided one by one."""
    cache = policy_cache_for(ctx.store)
    timeout = ctx.settings.query_timeout
    with shape_index_for(ctx.store).current(timeout) as index:
        key = (question, index.generation)
        known = cache.table("permitted-list").get(key)
        if known is not None:
            return known
        source = StoreSource(ctx.store, timeout=timeout, cache=cache)
        engine = PolicyEngine(source)
        verdicts = _verdicts(cache, question)
        fixed = shapes.Question(question.request("urn:dskg:probe"))
        alone = (set(index.alone) | _named(index, fixed) if fixed.usable
                 else set(index.entries))
        groups: dict[int, str] = {}
        while True:
            reps = {}
            for group, members in index.members.items():
                if group not in groups:
                    rep = min((t for t in members if t not in alone), default=None)
                    if rep is not None:
                        reps[group] = rep
            _decide(engine, source, cache, question, verdicts,
                    [t for t in sorted(reps.values()) if t not in verdicts])
            for group, rep in reps.items():
                groups[group] = verdicts[rep]
            tables = [cache.table(name) for name in SHARED_TABLES]
            needed = shapes.readable(shapes.operands(
                row for table in tables for rows in list(table.values()) for row in rows))
            if not shapes.key_set(needed) <= index.reads:  # unseen by the index: build again
                index.build(timeout)
                alone, groups = set(index.entries), {}
                break
            newly: set[URIRef] = set()
            for node in shapes.shared_nodes(tables):
                newly |= index.renamed_as(node)
            newly -= alone
            if not newly:
                break
            alone |= newly
            for group, rep in reps.items():
                if rep in newly:
                    del groups[group]
        _decide(engine, source, cache, question, verdicts,
                sorted(t for t in alone if t not in verdicts))
        allowed = [t for group, verdict in groups.items() if verdict == "permit"
                   for t in index.members[group] if t not in alone]
        allowed += [t for t in alone if verdicts[t] == "permit"]
        allowed.sort()
        cache.get("permitted-list", key, lambda: allowed, MAX_QUESTIONS)
        return allowed


def _named(index: ShapeIndex, question: shapes.Question) -> set[URIRef]:
    """The datasets with a renamed node the question names (a term of it, or the start of
    a duty it says is done)."""
    out: set[URIRef] = set()
    for term in question.terms:
        out |= index.renamed_as(shapes.term_key(term))
    for duty in question.duties:
        for end in range(1, len(duty) + 1):
            out |= index.renamed_as(f"<{duty[:end]}>")
    return out


def _decide(engine: PolicyEngine, source: StoreSource, cache: PolicyCache,
            question: Question, verdicts: dict[URIRef, str], targets: list[URIRef]) -> None:
    """Decide each of ``targets`` (read a chunk at a time), keeping the verdicts."""
    for start in range(0, len(targets), CHUNK):
        chunk = targets[start:start + CHUNK]
        source.prefetch(chunk)
        for target, decision in zip(chunk, engine.evaluate_many(
                [question.request(str(t)) for t in chunk]), strict=True):
            # here too: a write meanwhile gives the cache new tables
            verdicts[target] = _keep(cache, question, target, decision)
        source.forget()


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
    allowed = permitted_targets(ctx, question)
    if filters.given():
        keep = set(candidates(ctx, filters))
        allowed = [t for t in allowed if t in keep]
    page = allowed[offset:offset + limit]
    items = summaries(ctx, KINDS["datasets"], page)
    details = explain(ctx, question, page)
    for item, target in zip(items, page, strict=True):
        item.update(details[target])
    return Page(KINDS["datasets"], len(allowed), limit, offset, items, "iri")
