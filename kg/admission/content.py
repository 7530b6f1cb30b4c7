"""A submission's content: parsed, given IRIs, and split into the descriptions admission
commits (one named graph each, as the default graph is laid out)."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

from rdflib import Dataset, Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import BadRequest
from kg.namespaces import DCAT, DCT, DSKG, FOAF, ORG, RDF, SKOS
from kg.rdfio import format_for_media_type, parse_dataset, require_statements
from kg.write import Description, graph_iri_for, normalise

#: Classes whose instances get a description of their own, in this order of precedence.
MAIN_CLASSES = (DSKG.DataSpace, ORG.Membership, DCAT.Dataset, DCAT.DataService,
                DSKG.LegalFramework, ORG.Organization, FOAF.Organization)


@dataclass
class Content:
    """A parsed submission: every triple, the data space it is about, its descriptions."""

    graph: Graph
    dataspace: URIRef
    descriptions: list[Description]

    @property
    def label(self) -> str | None:
        for prop in (SKOS.prefLabel, FOAF.name, DCT.title):
            for value in self.graph.objects(self.dataspace, prop):
                return str(value)
        return None

    def members(self) -> list[URIRef]:
        """The organisations the submission enrols in its data space."""
        found = {m for ms in self.graph.subjects(ORG.organization, self.dataspace)
                 for m in self.graph.objects(ms, ORG.member) if isinstance(m, URIRef)}
        return sorted(found)

    def quads(self) -> str:
        dataset = Dataset()
        for description in self.descriptions:
            named = dataset.graph(description.name)
            for triple in description.graph:
                named.add(triple)
        out = io.BytesIO()
        dataset.serialize(out, format="nquads")
        return out.getvalue().decode("utf-8")


def parse_content(data: bytes, media_type: str | None, *, base_iri: str,
                  taken: Callable[[URIRef], bool]) -> Content:
    """Parse a whole data-space description (Turtle, JSON-LD, RDF/XML, ...): IRIs minted
    for blank nodes of our main classes, then split into descriptions."""
    if not data.strip():
        raise BadRequest("the body is empty: send the data space's description (Turtle, "
                         "JSON-LD or RDF/XML)")
    fmt = format_for_media_type(media_type)
    dataset = parse_dataset(data, fmt, f"{base_iri}id/")
    require_statements(dataset)
    graph = Graph()
    for s, p, o, _g in dataset.quads((None, None, None, None)):
        graph.add((s, p, o))
    normalised = normalise(Description(name=URIRef(""), graph=graph), base_iri=base_iri,
                           taken=taken).graph
    spaces = sorted(s for s in normalised.subjects(RDF.type, DSKG.DataSpace)
                    if isinstance(s, URIRef))
    if len(spaces) != 1:
        raise BadRequest(f"a submission describes exactly one dskg:DataSpace; this one "
                         f"describes {len(spaces)}" + (f" ({', '.join(spaces)})" if spaces
                                                       else ""))
    return Content(normalised, spaces[0], split(normalised, spaces[0], base_iri))


def _main(graph: Graph, node: Node) -> URIRef | None:
    types = set(graph.objects(node, RDF.type))
    for cls in MAIN_CLASSES:
        if cls in types:
            return cls
    return None


def split(graph: Graph, space: URIRef, base_iri: str) -> list[Description]:
    """One description per main resource: what it reaches through resources that are not
    main themselves (a data space its rulebook, policy and catalog; a dataset its
    distributions and offers). Whatever nothing reaches goes with the data space."""
    mains = sorted((s for s in set(graph.subjects(RDF.type, None))
                    if isinstance(s, URIRef) and _main(graph, s) is not None),
                   key=lambda s: (MAIN_CLASSES.index(_main(graph, s)), str(s)))
    owner: dict[Node, URIRef] = {}
    for main in mains:
        owner[main] = main
    for main in mains:
        frontier: list[Node] = [main]
        while frontier:
            node = frontier.pop()
            for _p, o in graph.predicate_objects(node):
                if o in owner or isinstance(o, Literal) or (o, None, None) not in graph:
                    continue
                owner[o] = main
                frontier.append(o)
    groups: dict[URIRef, Graph] = {m: Graph() for m in mains}
    for s, p, o in graph:
        holder = owner.get(s)
        if holder is None:
            holder = space
            owner[s] = space
        groups[holder].add((s, p, o))
    # a catalog listing stays with the catalog (the data space); an offer's link to its
    # dataset is the dataset's; blank nodes go wherever their subject went
    return [Description(name=graph_iri_for(base_iri, m), graph=g, root=m)
            for m, g in groups.items() if len(g)]

