"""An evaluation request: who wants to do what with which asset, and in what context."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from rdflib import XSD, Literal, URIRef
from rdflib.term import Node

from kg.errors import BadRequest
from kg.namespaces import ODRL
from kg.policy import places
from kg.policy.iris import expand, looks_like_iri
from kg.policy.operators import parse_datetime


@dataclass(frozen=True)
class Request:
    assignee: URIRef
    action: URIRef
    target: URIRef
    at: datetime
    context: Mapping[URIRef, tuple[Node, ...]] = field(default_factory=dict)
    duties_done: frozenset[URIRef] = frozenset()

    def values(self, operand: URIRef) -> tuple[Node, ...]:
        """The request's value(s) for a left operand (``odrl:dateTime`` defaults to ``at``)."""
        if operand in self.context:
            return self.context[operand]
        if operand == ODRL.dateTime:
            return (Literal(self.at.isoformat(), datatype=XSD.dateTime),)
        return ()

    def to_json(self) -> dict[str, Any]:
        return {
            "assignee": str(self.assignee), "action": str(self.action),
            "target": str(self.target), "at": self.at.isoformat(),
            "context": {str(k): [str(v) for v in vs] for k, vs in self.context.items()},
            "dutiesDone": sorted(str(d) for d in self.duties_done),
        }


def operand_iri(key: str) -> URIRef:
    """A context key: a bare ODRL left operand name (``count``), a prefixed name or an IRI."""
    key = key.strip()
    if key and ":" not in key:
        return ODRL[key]
    return expand(key, field=f"context key {key!r}")


def context_value(value: Any, *, field: str) -> Node:
    """A JSON/CLI value as an RDF term: IRIs and prefixed names become IRIs, else literals."""
    if isinstance(value, bool):
        return Literal(value)
    if isinstance(value, int):
        return Literal(value, datatype=XSD.integer)
    if isinstance(value, float):
        return Literal(Decimal(str(value)), datatype=XSD.decimal)
    if isinstance(value, str):
        return expand(value, field=field) if looks_like_iri(value) else Literal(value)
    raise BadRequest(f"{field}: unsupported value {value!r}")


def parse_at(value: str | datetime | None) -> datetime:
    if value is None or value == "":
        return datetime.now(UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    moment = parse_datetime(str(value))
    if moment is None:
        raise BadRequest(f"at: {value!r} is not an ISO 8601 date or date-time")
    return moment


def spatial_value(value: str) -> Node:
    if looks_like_iri(value):
        return expand(value, field="spatial")
    if places.codes(Literal(value)) is None:
        raise BadRequest(f"spatial: {value!r} is neither an IRI nor a known country code or "
                         f"region ({', '.join(places.REGIONS)})")
    return Literal(value.strip().upper())


def build_request(*, assignee: str, action: str, target: str, purpose: str | None = None,
                  at: str | datetime | None = None, spatial: str | None = None,
                  context: Mapping[str, Any] | None = None,
                  duties_done: Iterable[str] = ()) -> Request:
    """A Request from user input (prefixed names allowed); BadRequest on anything invalid."""
    ctx: dict[URIRef, tuple[Node, ...]] = {}
    for key, raw in (context or {}).items():
        operand = operand_iri(key)
        items = raw if isinstance(raw, list | tuple) else [raw]
        ctx[operand] = ctx.get(operand, ()) + tuple(
            context_value(item, field=f"context {key}") for item in items)
    if purpose:
        ctx[ODRL.purpose] = (expand(purpose, field="purpose"),)
    if spatial:
        ctx[ODRL.spatial] = (spatial_value(spatial),)
    moment = parse_at(at)
    ctx[ODRL.dateTime] = (Literal(moment.isoformat(), datatype=XSD.dateTime),)
    return Request(
        assignee=expand(assignee, field="assignee"),
        action=expand(action, field="action"),
        target=expand(target, field="target"),
        at=moment,
        context=ctx,
        duties_done=frozenset(expand(d, field="duty-done") for d in duties_done),
    )


REQUEST_FIELDS = ("assignee", "action", "target", "purpose", "at", "spatial", "context",
                  "dutiesDone")


def request_from_json(data: Any) -> Request:
    """The JSON body of ``POST /policies/evaluate`` (same fields as the CLI options)."""
    if not isinstance(data, Mapping):
        raise BadRequest("a request must be a JSON object")
    unknown = sorted(set(data) - set(REQUEST_FIELDS))
    if unknown:
        raise BadRequest(f"unknown request field(s): {', '.join(unknown)}; "
                         f"expected {', '.join(REQUEST_FIELDS)}")
    for name in ("assignee", "action", "target"):
        if not isinstance(data.get(name), str):
            raise BadRequest(f"{name}: a string IRI is required")
    for name in ("purpose", "at", "spatial"):
        if data.get(name) is not None and not isinstance(data[name], str):
            raise BadRequest(f"{name}: must be a string")
    context = data.get("context") or {}
    duties = data.get("dutiesDone") or []
    if not isinstance(context, Mapping):
        raise BadRequest("context: must be an object of left operand -> value(s)")
    if not isinstance(duties, list) or not all(isinstance(d, str) for d in duties):
        raise BadRequest("dutiesDone: must be a list of IRIs")
    return build_request(assignee=data["assignee"], action=data["action"],
                         target=data["target"], purpose=data.get("purpose"), at=data.get("at"),
                         spatial=data.get("spatial"), context=context, duties_done=duties)


def parse_pairs(pairs: Iterable[str]) -> dict[str, list[str]]:
    """CLI ``--context KEY=VALUE`` options (a key may repeat) as a context mapping."""
    out: dict[str, list[str]] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise BadRequest(f"--context {pair!r}: expected KEY=VALUE")
        out.setdefault(key.strip(), []).append(value.strip())
    return out
