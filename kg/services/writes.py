"""Create, replace and delete descriptions of one kind, through the one write path.

A REST body is one description: RDF (JSON-LD or Turtle, ...) with exactly one main node of
the kind (a dataset for ``/datasets``). It may name its IRI or be a blank node, for which the
node mints ``{base}id/{kind}/{slug}``; relative IRIs resolve against ``{base}id/{kind}/``.
The description's named graph is named after its main node. Other nodes in the body are part
of the description (a dataset's distributions and offer, a data space's rulebook, catalog
and first membership).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from rdflib import BNode, Graph, URIRef
from rdflib.term import Node

from kg.auth import Principal, require
from kg.errors import BadRequest, Conflict, NotFound, PreconditionFailed
from kg.namespaces import DEFAULT_ID_BASE, DSKG, META_GRAPH, RDF
from kg.rdfio import format_for_media_type, parse_dataset
from kg.services.context import ServiceContext
from kg.services.documents import graph_etag, locate, tag_hashes
from kg.services.kinds import Kind, kind_for_types
from kg.services.scope import authorize_write, writer_for
from kg.store.sparql_text import values_list
from kg.write import (
    Description,
    Origin,
    commit,
    delete_graphs,
    normalise,
    split_dataset,
    transaction,
)

#: Kinds whose descriptions depend on what they reference: ``?cascade=true`` deletes them
#: along with the description they reference. Any other referencing description blocks.
DEPENDENT_KINDS = ("memberships", "datasets", "policies")
_REPORT_LIMIT = 20


@dataclass
class WriteOutcome:
    kind: Kind
    iri: URIRef
    id: str
    etag: str
    created: bool
    warnings: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self, ctx: ServiceContext) -> dict[str, Any]:
        return {"@id": str(self.iri), "id": self.id, "href": ctx.ids.href(self.iri, self.kind),
                "created": self.created, "warnings": self.warnings}


def _kind_nodes(graph: Graph, kind: Kind) -> list[Node]:
    return sorted((n for n in set(graph.subjects(RDF.type, None))
                   if kind.matches(set(graph.objects(n, RDF.type)))), key=str)


def main_node(graph: Graph, kind: Kind) -> Node:
    """The one node of ``kind`` a body describes (if several, the one nothing points at)."""
    nodes = _kind_nodes(graph, kind)
    if len(nodes) > 1:
        pointed = {o for _, _, o in graph}
        nodes = [n for n in nodes if n not in pointed] or nodes
    if not nodes:
        classes = ", ".join(c.n3() for c in kind.classes)
        raise BadRequest(f"the body describes no {kind.singular}: give one node typed "
                         f"{classes}")
    if len(nodes) > 1:
        raise BadRequest(f"the body describes {len(nodes)} {kind.name} ({nodes[0]}, "
                         f"{nodes[1]}...); send one per request")
    return nodes[0]


def _rename(graph: Graph, old: Node, new: URIRef) -> Graph:
    renamed = Graph()
    for s, p, o in graph:
        renamed.add((new if s == old else s, p, new if o == old else o))
    return renamed


def parse_body(ctx: ServiceContext, kind: Kind, data: bytes, content_type: str | None,
               target: URIRef | None = None, replacing: URIRef | None = None
               ) -> Description:
    """Parse, check the shape of the body and mint IRIs: the description to commit.

    ``target`` is the IRI a PUT addresses (a blank main node becomes it); ``replacing`` the
    graph it replaces, whose IRIs may be minted again (a rulebook keeps its IRI).
    """
    if not data.strip():
        raise BadRequest("the body is empty: send the description (JSON-LD or Turtle)")
    fmt = format_for_media_type(content_type)
    base = f"{ctx.base_iri}id/{kind.singular}/"
    parsed = split_dataset(parse_dataset(data, fmt, base), base_iri=ctx.base_iri)
    if len(parsed) != 1 or str(parsed[0].name) != "":
        raise BadRequest("the body must be one description without named graphs; "
                         "use /graphs or `dskg load` for datasets of several graphs")
    graph = parsed[0].graph
    main = main_node(graph, kind)
    if target is not None and main != target:
        if not isinstance(main, BNode):
            raise BadRequest(f"the body describes {main}, but this is the URL of {target}; "
                             "PUT cannot change a resource's IRI")
        graph = _rename(graph, main, target)
    reusable = _subjects(ctx, replacing) if replacing is not None else set()
    normalised = normalise(Description(name=URIRef(""), graph=graph), base_iri=ctx.base_iri,
                           taken=lambda iri: iri not in reusable and _taken(ctx, iri))
    main = main_node(normalised.graph, kind)
    if not isinstance(main, URIRef):  # a class the write path mints no IRIs for
        raise BadRequest(f"give the {kind.singular} an IRI (relative IRIs resolve against "
                         f"{base})")
    return Description(name=main, graph=normalised.graph, root=main)


def _taken(ctx: ServiceContext, candidate: URIRef) -> bool:
    """Whether a minted IRI (or the default-graph IRI with the same REST id) is in use."""
    names = [candidate]
    own_base = ctx.base_iri + "id/"
    if str(candidate).startswith(own_base):
        names.append(URIRef(DEFAULT_ID_BASE + str(candidate)[len(own_base):]))
    return bool(ctx.store.query(
        f"ASK {{ {values_list('x', names)} {{ ?x ?p ?o }} UNION {{ GRAPH ?x {{ ?s ?p ?o }} }} }}"
    ).boolean)


def _if_match(ctx: ServiceContext, graph_name: URIRef, if_match: str | None
              ) -> Callable[[], None] | None:
    if not if_match:
        return None
    wanted = tag_hashes(if_match)

    def check() -> None:
        if "*" in wanted and ctx.store.has_graph(graph_name):
            return
        current = graph_etag(ctx.store.get_graph(graph_name))
        if current not in wanted:
            raise PreconditionFailed(
                "the description changed since you read it (its ETag no longer matches "
                "If-Match); GET it again, reapply your change and retry", etag=current)

    return check


def _warnings(result: Any) -> list[dict[str, Any]]:
    report = getattr(result, "report", None)
    if report is None:
        return []
    return [r.to_json() for r in report.sorted_results() if r.severity != "Violation"]


def create(ctx: ServiceContext, principal: Principal | None, kind: Kind, data: bytes,
           content_type: str | None) -> WriteOutcome:
    """POST: validate and store a new description (Conflict when the IRI is described)."""
    require(principal, "steward")
    description = parse_body(ctx, kind, data, content_type)
    iri = description.name
    authorize_write(ctx, principal, kind, iri, description.graph)
    existing = locate(ctx.store, iri)
    if existing is not None and existing.own:
        raise Conflict(f"{iri} already exists; PUT {ctx.ids.href(iri, kind)} replaces it",
                       location=ctx.ids.href(iri, kind))
    origin = Origin(agent=_agent(principal), source=f"REST POST /{kind.name}",
                    activity="rest-create", writer=writer_for(ctx, principal),
                    base_iri=ctx.base_iri)
    result = commit(ctx.store, [description], origin, mode="create")
    return WriteOutcome(kind, iri, ctx.ids.to_id(iri, kind), graph_etag(description.graph),
                        True, _warnings(result))


def replace(ctx: ServiceContext, principal: Principal | None, kind: Kind, resource_id: str,
            data: bytes, content_type: str | None, if_match: str | None) -> WriteOutcome:
    """PUT: replace the whole description atomically (If-Match checked in the commit)."""
    require(principal, "steward")
    iri = ctx.ids.resolve(ctx.store, kind, resource_id)
    location = _own_location(ctx, kind, iri)
    description = parse_body(ctx, kind, data, content_type, target=iri, replacing=location)
    description = Description(name=location, graph=description.graph, root=iri)
    authorize_write(ctx, principal, kind, iri, description.graph)
    origin = Origin(agent=_agent(principal), source=f"REST PUT /{kind.name}/{resource_id}",
                    activity="rest-replace", writer=writer_for(ctx, principal),
                    base_iri=ctx.base_iri)
    result = commit(ctx.store, [description], origin, mode="replace",
                    precondition=_if_match(ctx, location, if_match))
    return WriteOutcome(kind, iri, resource_id, graph_etag(description.graph), False,
                        _warnings(result))


def _own_location(ctx: ServiceContext, kind: Kind, iri: URIRef) -> URIRef:
    location = locate(ctx.store, iri)
    if location is None:
        raise NotFound(f"{iri} is not described here")
    if not location.own:
        raise Conflict(f"{iri} is part of the description {location.graph}; change it there",
                       graph=str(location.graph))
    return location.graph


def _agent(principal: Principal | None) -> str:
    return principal.agent if principal is not None else "anonymous"


# -- delete ------------------------------------------------------------------------------
@dataclass
class DeletePlan:
    graphs: list[URIRef]
    blocking: dict[URIRef, list[URIRef]]


def _subjects(ctx: ServiceContext, graph_name: URIRef) -> set[URIRef]:
    """The nodes a description defines: its typed IRI subjects (a dataset's description also
    says ``<catalog> dcat:dataset <dataset>``, but does not define the catalog)."""
    result = ctx.store.query(
        "SELECT DISTINCT ?s WHERE { GRAPH ?g { ?s a ?t } FILTER(isIRI(?s)) }",
        {"g": graph_name})
    return {s for s in result.column("s") if isinstance(s, URIRef)}


def _referrers(ctx: ServiceContext, graph_name: URIRef, exclude: set[URIRef]
               ) -> dict[URIRef, list[URIRef]]:
    """Other descriptions pointing at a node of ``graph_name``: graph -> nodes it names."""
    subjects = _subjects(ctx, graph_name)
    if not subjects:
        return {}
    result = ctx.store.query(
        f"SELECT DISTINCT ?g ?o WHERE {{ {values_list('o', sorted(subjects))} "
        f"GRAPH ?g {{ ?x ?p ?o }} "
        f"FILTER(?g != <{META_GRAPH}>) }}", timeout=ctx.settings.query_timeout)
    found: dict[URIRef, list[URIRef]] = {}
    for g, o in result.rows:
        if g not in exclude:
            found.setdefault(g, []).append(o)  # type: ignore[arg-type]
    return found


def _graph_kind(ctx: ServiceContext, graph_name: URIRef) -> Kind | None:
    """The kind of the resource a graph describes (its name, or what the meta graph says)."""
    result = ctx.store.query(
        f"SELECT ?t WHERE {{ {{ BIND(?g AS ?r) }} UNION {{ GRAPH <{META_GRAPH}> "
        f"{{ ?g <{DSKG.describes}> ?r }} }} GRAPH ?g {{ ?r a ?t }} }}", {"g": graph_name})
    return kind_for_types(t for t in result.column("t") if isinstance(t, URIRef))


def plan_delete(ctx: ServiceContext, graph_name: URIRef, cascade: bool) -> DeletePlan:
    """The graphs a delete removes and the descriptions that block it."""
    graphs = [graph_name]
    blocking: dict[URIRef, list[URIRef]] = {}
    queue = [graph_name]
    while queue:
        current = queue.pop()
        for referrer, nodes in _referrers(ctx, current, set(graphs)).items():
            kind = _graph_kind(ctx, referrer)
            if cascade and kind is not None and kind.name in DEPENDENT_KINDS:
                graphs.append(referrer)
                queue.append(referrer)
            else:
                blocking.setdefault(referrer, []).extend(nodes)
    return DeletePlan(graphs, {g: n for g, n in blocking.items() if g not in graphs})


def _blocked_message(ctx: ServiceContext, iri: URIRef, plan: DeletePlan, cascade: bool) -> str:
    names = sorted(plan.blocking)
    listed = ", ".join(str(g) for g in names[:5]) + (" ..." if len(names) > 5 else "")
    if cascade:
        return (f"{iri} is still referenced by {len(names)} description(s) that do not depend "
                f"on it ({listed}); remove those references first")
    return (f"{iri} is still referenced by {len(names)} description(s) ({listed}); remove "
            "the references, or DELETE with ?cascade=true to delete the memberships, "
            "datasets and policies that depend on it")


def delete(ctx: ServiceContext, principal: Principal | None, kind: Kind, resource_id: str,
           *, cascade: bool = False, if_match: str | None = None) -> list[URIRef]:
    """DELETE: drop the description (and, with ``cascade``, its dependants) atomically.

    Returns the graphs dropped. The plan is made and carried out in one ``transaction``, so
    no reference can appear in between.
    """
    require(principal, "steward")
    iri = ctx.ids.resolve(ctx.store, kind, resource_id)
    location = _own_location(ctx, kind, iri)
    authorize_write(ctx, principal, kind, iri)
    with transaction(ctx.store):
        check = _if_match(ctx, location, if_match)
        if check is not None:
            check()
        plan = plan_delete(ctx, location, cascade)
        if plan.blocking:
            raise Conflict(_blocked_message(ctx, iri, plan, cascade),
                           referencedBy=[str(g) for g in sorted(plan.blocking)[:_REPORT_LIMIT]])
        for graph in plan.graphs[1:]:
            dependant = _graph_kind(ctx, graph)
            if dependant is not None:
                authorize_write(ctx, principal, dependant, graph)
        origin = Origin(agent=_agent(principal), source=f"REST DELETE /{kind.name}/"
                        f"{resource_id}", activity="rest-delete",
                        writer=writer_for(ctx, principal), base_iri=ctx.base_iri)
        delete_graphs(ctx.store, plan.graphs, origin)
    return plan.graphs

