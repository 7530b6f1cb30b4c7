"""The dataset form: DCAT written from form fields, saved through the REST service (and so
the one write path: parse, normalise, validate, commit).

Editing keeps every statement the form does not manage (an offer, a contact point, other
distributions) and replaces only the fields it shows; the description's ETag travels with the
form so a concurrent change is refused instead of overwritten.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.term import Node

from kg.auth import Principal
from kg.errors import BadRequest, DskgError, Forbidden, OwnershipRefused
from kg.namespaces import (
    DCAT,
    DCT,
    DSKG,
    EU_THEME,
    ODRL,
    RDF,
    XSD,
)
from kg.services import KINDS, WriteOutcome, create, replace
from kg.services.context import ServiceContext
from kg.services.documents import best_literal, entity_tag
from kg.services.ids import meant_as_iri, parse_iri
from kg.services.resources import get_resource
from kg.store.sparql_text import term_n3
from kg.web.resource import owner_value
from kg.write import mint_iri

ACCESS = Namespace("http://publications.europa.eu/resource/authority/access-right/")
#: Properties of the dataset node the form manages (all other statements are kept).
MANAGED = (DCT.title, DCT.description, DCT.publisher, DCAT.theme, DCAT.keyword,
           DCAT.landingPage, DCT.issued, DCT.accessRights)
DISTRIBUTION_MANAGED = (DCAT.accessURL, DCAT.mediaType, DCT.license)


@dataclass
class DatasetForm:
    title: str = ""
    description: str = ""
    publisher: str = ""
    dataspace: str = ""
    themes: list[str] = field(default_factory=list)
    keywords: str = ""
    landing_page: str = ""
    issued: str = ""
    access_rights: str = ""
    access_url: str = ""
    media_type: str = ""
    licence: str = ""
    purpose: str = ""
    etag: str = ""

    @classmethod
    def from_fields(cls, fields: Mapping[str, str], themes: Sequence[str]) -> DatasetForm:
        def get(name: str) -> str:
            return (fields.get(name) or "").strip()

        return cls(title=get("title"), description=get("description"),
                   publisher=get("publisher"), dataspace=get("dataspace"),
                   themes=[t for t in themes if t], keywords=get("keywords"),
                   landing_page=get("landing_page"), issued=get("issued"),
                   access_rights=get("access_rights"), access_url=get("access_url"),
                   media_type=get("media_type"), licence=get("licence"),
                   purpose=get("purpose"), etag=get("etag"))


def _first(graph: Graph, node: Node, prop: URIRef) -> str:
    values = sorted(str(v) for v in graph.objects(node, prop))
    return values[0] if values else ""


def _distribution(graph: Graph, dataset: URIRef) -> Node | None:
    found = sorted(graph.objects(dataset, DCAT.distribution), key=str)
    return found[0] if len(found) == 1 else None


def form_for(ctx: ServiceContext, resource_id: str) -> DatasetForm:
    """The form filled from a dataset's stored description."""
    document = get_resource(ctx, KINDS["datasets"], resource_id)
    graph, iri = document.graph, document.iri
    publisher = _first(graph, iri, DCT.publisher)
    form = DatasetForm(
        title=best_literal(list(graph.objects(iri, DCT.title))) or "",
        description=best_literal(list(graph.objects(iri, DCT.description))) or "",
        publisher=ctx.ids.to_id(publisher, KINDS["organisations"]) if publisher else "",
        themes=sorted(str(t).rsplit("/", 1)[-1] for t in graph.objects(iri, DCAT.theme)),
        keywords=", ".join(sorted(str(k) for k in graph.objects(iri, DCAT.keyword))),
        landing_page=_first(graph, iri, DCAT.landingPage),
        issued=_first(graph, iri, DCT.issued)[:10],
        access_rights=_first(graph, iri, DCT.accessRights).rsplit("/", 1)[-1],
        etag=entity_tag(document.etag, "json-ld"))
    distribution = _distribution(graph, iri)
    if distribution is not None:
        form.access_url = _first(graph, distribution, DCAT.accessURL)
        form.media_type = _first(graph, distribution, DCAT.mediaType)
        form.licence = _first(graph, distribution, DCT.license)
    spaces = ctx.store.query(
        f"SELECT ?space WHERE {{ ?space {term_n3(DSKG.catalog)}/{term_n3(DCAT.dataset)} ?d }} "
        "ORDER BY ?space LIMIT 1", {"d": iri}).column("space")
    if spaces and isinstance(spaces[0], URIRef):
        form.dataspace = ctx.ids.to_id(spaces[0], KINDS["dataspaces"])
    return form


def _reference(ctx: ServiceContext, value: str, kinds: tuple[str, ...], what: str) -> URIRef:
    if meant_as_iri(value):
        return parse_iri(value, what)
    for name in kinds:
        found = ctx.ids.find(ctx.store, KINDS[name], value)
        if found is not None:
            return found
    raise BadRequest(f"{what}: nothing with id {value!r}; choose one from the list or give "
                     "an IRI")


def _iri_field(value: str, what: str) -> URIRef | None:
    return parse_iri(value, what) if value else None


def _one(ctx: ServiceContext, sparql: str, node: URIRef) -> URIRef | None:
    found = [v for v in ctx.store.query(sparql, {"x": node}).column("v")
             if isinstance(v, URIRef)]
    return sorted(found)[0] if found else None


def build_graph(ctx: ServiceContext, form: DatasetForm, iri: URIRef | None = None,
                existing: Graph | None = None) -> Graph:
    """The dataset's description: ``existing`` (when editing) with the managed fields
    replaced by the form's values. New IRIs are minted under this node's base."""
    def taken(candidate: URIRef) -> bool:
        return bool(ctx.store.query("ASK { { ?x ?p ?o } UNION { ?s ?p ?x } }",
                                    {"x": candidate}).boolean)

    graph = Graph()
    if existing is not None:
        graph += existing
    if iri is None:
        iri = mint_iri(ctx.base_iri, "dataset", form.title, taken)
    for prop in MANAGED:
        graph.remove((iri, prop, None))
    graph.add((iri, RDF.type, DCAT.Dataset))
    if form.title:
        graph.add((iri, DCT.title, Literal(form.title, lang="en")))
    if form.description:
        graph.add((iri, DCT.description, Literal(form.description, lang="en")))
    if form.publisher:
        graph.add((iri, DCT.publisher, _reference(ctx, form.publisher,
                                                  ("organisations", "dataspaces"), "publisher")))
    for theme in form.themes:
        graph.add((iri, DCAT.theme, EU_THEME[theme] if theme.isalpha() and len(theme) == 4
                   else parse_iri(theme, "theme")))
    for keyword in (k.strip() for k in form.keywords.split(",")):
        if keyword:
            graph.add((iri, DCAT.keyword, Literal(keyword, lang="en")))
    if page := _iri_field(form.landing_page, "landing page"):
        graph.add((iri, DCAT.landingPage, page))
    if form.issued:
        graph.add((iri, DCT.issued, Literal(form.issued, datatype=XSD.date)))
    if form.access_rights:
        graph.add((iri, DCT.accessRights, ACCESS[form.access_rights]))
    _distribution_triples(ctx, graph, iri, form, taken)
    if form.dataspace:
        space = _reference(ctx, form.dataspace, ("dataspaces",), "data space")
        graph.remove((None, DCAT.dataset, iri))
        catalog = _one(ctx, f"SELECT ?v WHERE {{ ?x {term_n3(DSKG.catalog)} ?v }}", space)
        if catalog is None:
            raise BadRequest(f"{space} has no catalogue to list the dataset in")
        graph.add((catalog, DCAT.dataset, iri))
        if existing is None and form.purpose:
            _offer(ctx, graph, iri, form, space, taken)
    return graph


def _distribution_triples(ctx: ServiceContext, graph: Graph, iri: URIRef, form: DatasetForm,
                          taken: Callable[[URIRef], bool]) -> None:
    if not (form.access_url or form.media_type or form.licence):
        return
    distribution = _distribution(graph, iri)
    if distribution is None:
        distribution = mint_iri(ctx.base_iri, "distribution", f"{form.title} access",
                                taken)
        graph.add((iri, DCAT.distribution, distribution))
        graph.add((distribution, RDF.type, DCAT.Distribution))
    for prop in DISTRIBUTION_MANAGED:
        graph.remove((distribution, prop, None))
    for prop, value, what in ((DCAT.accessURL, form.access_url, "access URL"),
                              (DCAT.mediaType, form.media_type, "media type"),
                              (DCT.license, form.licence, "licence")):
        if found := _iri_field(value, what):
            graph.add((distribution, prop, found))


def _offer(ctx: ServiceContext, graph: Graph, iri: URIRef, form: DatasetForm, space: URIRef,
           taken: Callable[[URIRef], bool]) -> None:
    """An offer letting the data space's members use the dataset for the chosen purpose,
    inheriting the data space's rulebook policy."""
    offer = mint_iri(ctx.base_iri, "policy", f"offer {form.title}", taken)
    rule, constraint = URIRef(f"{offer}#use"), URIRef(f"{offer}#purpose")
    graph.add((iri, ODRL.hasPolicy, offer))
    graph.add((offer, RDF.type, ODRL.Offer))
    graph.add((offer, ODRL.uid, offer))
    graph.add((offer, DCT.title, Literal(f"Offer of {form.title}", lang="en")))
    graph.add((offer, ODRL.target, iri))
    publisher = next(graph.objects(iri, DCT.publisher), None)
    if publisher is not None:
        graph.add((offer, ODRL.assigner, publisher))
    rulebook = _one(ctx, f"SELECT ?v WHERE {{ ?x {term_n3(DSKG.rulebook)}/"
                         f"{term_n3(ODRL.hasPolicy)} ?v }}", space)
    if rulebook is not None:
        graph.add((offer, ODRL.inheritFrom, rulebook))
    graph.add((offer, ODRL.permission, rule))
    graph.add((rule, ODRL.action, ODRL.use))
    graph.add((rule, ODRL.assignee, space))
    graph.add((rule, ODRL.constraint, constraint))
    graph.add((constraint, ODRL.leftOperand, ODRL.purpose))
    graph.add((constraint, ODRL.operator, ODRL.eq))
    graph.add((constraint, ODRL.rightOperand, parse_iri(form.purpose, "purpose")))


def description(ctx: ServiceContext, form: DatasetForm, resource_id: str | None = None
                ) -> Graph:
    """The description the form stands for: a new dataset, or the stored one edited."""
    if resource_id is None:
        return build_graph(ctx, form)
    document = get_resource(ctx, KINDS["datasets"], resource_id)
    return build_graph(ctx, form, document.iri, document.graph)


def save(ctx: ServiceContext, principal: Principal | None, form: DatasetForm,
         resource_id: str | None = None) -> WriteOutcome:
    """Create (``resource_id`` None) or replace a dataset through the REST service."""
    body = description(ctx, form, resource_id).serialize(format="turtle", encoding="utf-8")
    kind = KINDS["datasets"]
    if resource_id is None:
        return create(ctx, principal, kind, body, "text/turtle")
    return replace(ctx, principal, kind, resource_id, body, "text/turtle", form.etag or None)


def refusal_words(ctx: ServiceContext, error: DskgError, principal: Principal | None,
                  resource_id: str | None) -> str | None:
    """A 403 or an ownership refusal in plain words (None: not such a refusal)."""
    if not isinstance(error, OwnershipRefused | Forbidden):
        return None
    holder = "your token"
    if principal is not None:
        spaces = ", ".join(sorted(s.rsplit("/", 1)[-1] for s in principal.dataspaces))
        holder = f"your {principal.role} token" + (f" (for {spaces})" if spaces else "")
    owner = None
    if resource_id is not None:
        try:
            record = get_resource(ctx, KINDS["datasets"], resource_id).stewardship
        except DskgError:
            record = None
        owner = owner_value(ctx, record.owner).text if record is not None else None
    if owner is not None and error.status == 403:
        return (f"Nothing was saved. This dataset belongs to {owner}; {holder} may change only "
                f"what its holder owns. Ask {owner} or this node's administrators to make "
                "the change.")
    return (f"Nothing was saved. The description says something that only its owner may say, "
            f"and {holder} does not hold it: {error.message}")
