"""Which data spaces a description belongs to, and whether a principal may write it.

A steward may write only descriptions in their data spaces. A description is in a data space
when, in the new content or in what the store already holds:

- a data space: it is that data space;
- a membership: its ``org:organization``;
- an organisation: the data spaces it is a member of;
- a dataset: the data spaces whose catalog lists it (``<catalog> dcat:dataset <dataset>``);
- a policy: the data spaces whose rulebook or catalogued datasets have it (``odrl:hasPolicy``)
  or whose catalogued datasets it targets.

Both the old and the new content count, so a steward can neither take a description out of
another data space nor move one into theirs.
"""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Graph, URIRef

from kg.auth import Principal, require
from kg.errors import Forbidden
from kg.namespaces import DCAT, DSKG, ODRL, ORG
from kg.ownership import Writer
from kg.services.context import ServiceContext
from kg.services.ids import meant_as_iri, parse_iri
from kg.services.kinds import KINDS, Kind
from kg.store.sparql_text import term_n3, values_list


def _iris(values: Iterable[object]) -> set[URIRef]:
    return {v for v in values if isinstance(v, URIRef)}


def _select(ctx: ServiceContext, query: str, values: set[URIRef], column: str = "ds"
            ) -> set[URIRef]:
    """Run ``query`` with ``?x`` ranging over ``values`` (at ``VALUES_X``); the IRIs in
    ``column``."""
    if not values:
        return set()
    block = values_list("x", sorted(values)) + " "
    result = ctx.store.query(query.replace("VALUES_X", block), timeout=ctx.settings.query_timeout)
    return _iris(result.column(column))


def _spaces_of_datasets(ctx: ServiceContext, datasets: set[URIRef], graph: Graph
                        ) -> set[URIRef]:
    catalogs = _iris(c for d in datasets for c in graph.subjects(DCAT.dataset, d))
    catalogs |= _select(ctx, f"SELECT ?c WHERE {{ VALUES_X ?c {term_n3(DCAT.dataset)} ?x }}",
                        datasets, "c")
    spaces = _iris(s for c in catalogs for s in graph.subjects(DSKG.catalog, c))
    return spaces | _select(
        ctx, f"SELECT ?ds WHERE {{ VALUES_X ?ds {term_n3(DSKG.catalog)} ?x }}", catalogs)


def dataspaces_holding(ctx: ServiceContext, kind: Kind, iri: URIRef,
                       graph: Graph | None = None) -> set[URIRef]:
    """The data spaces the description of ``iri`` belongs to (new content and store)."""
    graph = graph if graph is not None else Graph()
    one = {iri}
    if kind.name == "dataspaces":
        return one
    if kind.name == "memberships":
        spaces = _iris(graph.objects(iri, ORG.organization))
        return spaces | _select(
            ctx, f"SELECT ?ds WHERE {{ VALUES_X ?x {term_n3(ORG.organization)} ?ds }}", one)
    if kind.name == "organisations":
        spaces = _iris(s for m in graph.subjects(ORG.member, iri)
                       for s in graph.objects(m, ORG.organization))
        return spaces | _select(
            ctx, f"SELECT ?ds WHERE {{ VALUES_X ?m {term_n3(ORG.member)} ?x ; "
                 f"{term_n3(ORG.organization)} ?ds }}", one)
    if kind.name == "datasets":
        return _spaces_of_datasets(ctx, one, graph)
    # policies: the rulebooks and datasets that have it, the datasets it targets
    owners = _iris(graph.subjects(ODRL.hasPolicy, iri)) | _iris(graph.objects(iri, ODRL.target))
    owners |= _select(
        ctx, f"SELECT ?o WHERE {{ VALUES_X {{ ?o {term_n3(ODRL.hasPolicy)} ?x }} UNION "
             f"{{ ?x {term_n3(ODRL.target)} ?o }} }}", one, "o")
    spaces = _iris(s for o in owners for s in graph.subjects(DSKG.rulebook, o))
    spaces |= _select(ctx, f"SELECT ?ds WHERE {{ VALUES_X ?ds {term_n3(DSKG.rulebook)} ?x }}",
                      owners)
    return spaces | _spaces_of_datasets(ctx, owners, graph)


def steward_spaces(ctx: ServiceContext, principal: Principal) -> set[URIRef]:
    """The IRIs of the data spaces a steward token names (by IRI or REST id)."""
    kind = KINDS["dataspaces"]
    spaces: set[URIRef] = set()
    for name in principal.dataspaces:
        if meant_as_iri(name):
            spaces.add(parse_iri(name, "dataspace"))
            continue
        found = ctx.ids.find(ctx.store, kind, name)
        spaces.add(found if found is not None else URIRef(f"{ctx.base_iri}id/dataspace/{name}"))
    return spaces


def writer_for(ctx: ServiceContext, principal: Principal | None) -> Writer:
    """The write path's view of a token: its role and what it holds (DESIGN 4a)."""
    if principal is None:
        return Writer(role="reader", name="anonymous")
    if principal.is_admin:
        return Writer(role="admin", name=principal.subject)
    if principal.role == "steward":
        return Writer(role="steward", name=principal.subject,
                      spaces=frozenset(steward_spaces(ctx, principal)))
    return Writer(role=principal.role, name=principal.subject,
                  jurisdiction=principal.jurisdiction)


def authorize_write(ctx: ServiceContext, principal: Principal | None, kind: Kind,
                    iri: URIRef, graph: Graph | None = None) -> Principal:
    """Raise 401/403 unless ``principal`` may write the description of ``iri``: a steward
    only in its data spaces; an authority and an admin as far as the write path's ownership
    and tier checks allow (DESIGN 4a)."""
    principal = require(principal, "steward")
    if principal.is_admin or principal.role == "authority":
        return principal
    spaces = dataspaces_holding(ctx, kind, iri, graph)
    if not spaces:
        raise Forbidden(f"{iri} belongs to no data space, so only an admin may write it; a "
                        f"steward's {kind.singular} must be linked to one of their data spaces")
    allowed = steward_spaces(ctx, principal)
    outside = sorted(spaces - allowed)
    if outside:
        raise Forbidden(f"{iri} belongs to {outside[0]}, which is not one of your data spaces "
                        f"({', '.join(sorted(principal.dataspaces))})")
    return principal
