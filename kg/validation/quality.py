"""Metadata quality scores in the manner of data.europa.eu's Metadata Quality Assessment.

Five dimensions, each a set of indicators worth a number of points; a dataset's score is the
sum (at most 405), rated as the MQA rates it. A dataset without distribution gets none of
the distribution points. This node never opens outbound connections, so the MQA's two
"URL answers HTTP 200" indicators are judged offline: the URL is an http(s) IRI.

Indicators ("dist." = per distribution, points in proportion to those that meet it):

| dimension | indicator | points | met when |
| --- | --- | ---: | --- |
| findability | keywords | 30 | ``dcat:keyword`` |
| findability | categories | 30 | ``dcat:theme`` |
| findability | geo search | 20 | ``dct:spatial`` |
| findability | time-based search | 20 | ``dct:temporal`` |
| accessibility | access URL | 50 | dist.: ``dcat:accessURL`` is an http(s) IRI |
| accessibility | download URL | 20 | dist.: ``dcat:downloadURL`` |
| accessibility | download URL usable | 30 | dist.: ``dcat:downloadURL`` is an http(s) IRI |
| interoperability | format | 20 | dist.: ``dct:format`` |
| interoperability | media type | 10 | dist.: ``dcat:mediaType`` |
| interoperability | format from vocabulary | 10 | dist.: EU file type or IANA media type |
| interoperability | non-proprietary | 20 | dist.: an open format (``OPEN_FORMATS``) |
| interoperability | machine-readable | 20 | dist.: ``MACHINE_READABLE`` format |
| interoperability | DCAT-AP compliance | 30 | no Violation on the dataset or its dist. |
| reusability | licence | 20 | dist.: ``dct:license`` |
| reusability | licence vocabulary | 10 | dist.: licence from the EU licence table |
| reusability | access restrictions | 10 | ``dct:accessRights`` |
| reusability | access restrictions vocabulary | 5 | from the EU access-right table |
| reusability | contact point | 20 | ``dcat:contactPoint`` |
| reusability | publisher | 10 | ``dct:publisher`` |
| contextuality | rights | 5 | dist.: ``dct:rights`` |
| contextuality | file size | 5 | dist.: ``dcat:byteSize`` |
| contextuality | date of issue | 5 | ``dct:issued`` |
| contextuality | modification date | 5 | ``dct:modified`` |

Ratings: excellent from 351 points, good from 221, sufficient from 121, bad below.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from rdflib import Graph, URIRef
from rdflib.term import Identifier, Node

from kg.errors import NotFound
from kg.namespaces import (
    DCAT,
    DCT,
    DSKG,
    EU_FILE_TYPE,
    EU_LICENCE,
    IANA_MEDIA,
    META_GRAPH,
    RDF,
    SKOS,
)
from kg.store.base import Store
from kg.store.sparql_text import term_n3, values_list
from kg.validation.context import context_for
from kg.validation.engine import validate_graph
from kg.validation.report import labels_from

EU_ACCESS_RIGHT = "http://publications.europa.eu/resource/authority/access-right/"
#: EU file-type codes (and IANA media types) counted as open, non-proprietary formats.
OPEN_FORMATS = frozenset({
    "CSV", "TSV", "JSON", "JSON_LD", "XML", "RDF_XML", "RDF_TURTLE", "RDF_N_TRIPLES",
    "RDF_N_QUADS", "RDF_TRIG", "N3", "GEOJSON", "GML", "KML", "GPKG", "ODS", "ODT", "ODP",
    "TXT", "HTML", "PDF", "PNG", "SVG", "NETCDF", "PARQUET", "text/csv",
    "text/tab-separated-values", "application/json", "application/ld+json",
    "application/xml", "text/xml", "application/rdf+xml", "text/turtle",
    "application/n-triples", "application/geo+json", "text/plain", "text/html",
    "application/pdf", "application/vnd.oasis.opendocument.spreadsheet",
})
#: EU file-type codes (and IANA media types) a program can read without a person.
MACHINE_READABLE = frozenset({
    "CSV", "TSV", "JSON", "JSON_LD", "XML", "RDF_XML", "RDF_TURTLE", "RDF_N_TRIPLES",
    "RDF_N_QUADS", "RDF_TRIG", "N3", "GEOJSON", "GML", "KML", "GPKG", "ODS", "XLS", "XLSX",
    "NETCDF", "PARQUET", "SHP", "text/csv", "text/tab-separated-values", "application/json",
    "application/ld+json", "application/xml", "text/xml", "application/rdf+xml",
    "text/turtle", "application/n-triples", "application/geo+json",
    "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
})
RATINGS = ((351, "excellent"), (221, "good"), (121, "sufficient"), (0, "bad"))

Test = Callable[[Graph, Node], bool]


@dataclass(frozen=True)
class Indicator:
    dimension: str
    name: str
    points: int
    per_distribution: bool
    #: None: the indicator is the validation outcome (DCAT-AP compliance).
    test: Test | None


def _has(prop: URIRef) -> Test:
    return lambda g, n: (n, prop, None) in g


def _web_iri(prop: URIRef) -> Test:
    return lambda g, n: any(isinstance(o, URIRef) and str(o).startswith(("http://", "https://"))
                            for o in g.objects(n, prop))


def _in_table(prop: URIRef, prefix: str) -> Test:
    return lambda g, n: any(str(o).startswith(prefix) for o in g.objects(n, prop))


def _format_codes(g: Graph, n: Node) -> set[str]:
    """EU file-type codes and IANA media types of a distribution, as plain strings."""
    codes = set()
    for prop in (DCT.format, DCAT.mediaType):
        for value in g.objects(n, prop):
            text = str(value)
            for prefix in (str(EU_FILE_TYPE), str(IANA_MEDIA),
                           str(IANA_MEDIA).replace("http://", "https://")):
                if text.startswith(prefix):
                    text = text[len(prefix):]
            codes.add(text)
    return codes


def _format_in(allowed: frozenset[str]) -> Test:
    return lambda g, n: bool(_format_codes(g, n) & allowed)


def _vocabulary_format(g: Graph, n: Node) -> bool:
    return any(str(o).startswith(str(EU_FILE_TYPE)) for o in g.objects(n, DCT.format)) or any(
        str(o).startswith(("http://www.iana.org/assignments/media-types/",
                           "https://www.iana.org/assignments/media-types/"))
        for o in g.objects(n, DCAT.mediaType))


INDICATORS: tuple[Indicator, ...] = (
    Indicator("findability", "keywords", 30, False, _has(DCAT.keyword)),
    Indicator("findability", "categories", 30, False, _has(DCAT.theme)),
    Indicator("findability", "geo search", 20, False, _has(DCT.spatial)),
    Indicator("findability", "time-based search", 20, False, _has(DCT.temporal)),
    Indicator("accessibility", "access URL", 50, True, _web_iri(DCAT.accessURL)),
    Indicator("accessibility", "download URL", 20, True, _has(DCAT.downloadURL)),
    Indicator("accessibility", "download URL usable", 30, True, _web_iri(DCAT.downloadURL)),
    Indicator("interoperability", "format", 20, True, _has(DCT.format)),
    Indicator("interoperability", "media type", 10, True, _has(DCAT.mediaType)),
    Indicator("interoperability", "format from vocabulary", 10, True, _vocabulary_format),
    Indicator("interoperability", "non-proprietary", 20, True, _format_in(OPEN_FORMATS)),
    Indicator("interoperability", "machine-readable", 20, True, _format_in(MACHINE_READABLE)),
    Indicator("interoperability", "DCAT-AP compliance", 30, False, None),
    Indicator("reusability", "licence", 20, True, _has(DCT.license)),
    Indicator("reusability", "licence vocabulary", 10, True,
              _in_table(DCT.license, str(EU_LICENCE))),
    Indicator("reusability", "access restrictions", 10, False, _has(DCT.accessRights)),
    Indicator("reusability", "access restrictions vocabulary", 5, False,
              _in_table(DCT.accessRights, EU_ACCESS_RIGHT)),
    Indicator("reusability", "contact point", 20, False, _has(DCAT.contactPoint)),
    Indicator("reusability", "publisher", 10, False, _has(DCT.publisher)),
    Indicator("contextuality", "rights", 5, True, _has(DCT.rights)),
    Indicator("contextuality", "file size", 5, True, _has(DCAT.byteSize)),
    Indicator("contextuality", "date of issue", 5, False, _has(DCT.issued)),
    Indicator("contextuality", "modification date", 5, False, _has(DCT.modified)),
)
DIMENSIONS = ("findability", "accessibility", "interoperability", "reusability",
              "contextuality")
MAXIMUM = sum(i.points for i in INDICATORS)


def rating(points: float) -> str:
    return next(name for floor, name in RATINGS if points >= floor)


def _describe_query(datasets: Iterable[URIRef]) -> str:
    """Every triple about the datasets and their distributions (one query)."""
    listed = list(datasets)
    # The provenance records (meta graph) are about graphs, not about the datasets.
    return (f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ {{ {values_list('s', listed)} }} UNION "
            f"{{ {values_list('d', listed)} ?d {term_n3(DCAT.distribution)} ?s }} "
            f"GRAPH ?g {{ ?s ?p ?o }} FILTER(?g != {term_n3(URIRef(META_GRAPH))}) }}")


def score_graph(graph: Graph, dataset: Identifier, compliant: bool) -> dict:
    """The score of one dataset described in ``graph``."""
    distributions = list(graph.objects(dataset, DCAT.distribution))
    indicators: list[dict[str, Any]] = []
    for indicator in INDICATORS:
        if indicator.test is None:
            share = 1.0 if compliant else 0.0
        elif indicator.per_distribution:
            met = sum(1 for d in distributions if indicator.test(graph, d))
            share = met / len(distributions) if distributions else 0.0
        else:
            share = 1.0 if indicator.test(graph, dataset) else 0.0
        indicators.append({"dimension": indicator.dimension, "indicator": indicator.name,
                           "points": round(indicator.points * share, 2),
                           "maximum": indicator.points})
    dimensions = {d: {"points": round(sum(i["points"] for i in indicators
                                          if i["dimension"] == d), 2),
                      "maximum": sum(i.points for i in INDICATORS if i.dimension == d)}
                  for d in DIMENSIONS}
    total = round(sum(i["points"] for i in indicators), 2)
    return {"dataset": str(dataset), "label": labels_from([graph]).get(dataset),
            "points": total, "maximum": MAXIMUM, "rating": rating(total),
            "dimensions": dimensions, "indicators": indicators}


def datasets_quality(store: Store, datasets: list[URIRef]) -> list[dict]:
    """Scores of several datasets: one query for their facts, one validation for all."""
    if not datasets:
        return []
    graph = store.query(_describe_query(datasets)).graph or Graph()
    report = validate_graph(graph, context=context_for(store, graph))
    failing = {r.focus for r in report.results if r.severity == "Violation"}
    scores = []
    for dataset in datasets:
        if (dataset, RDF.type, DCAT.Dataset) not in graph:
            raise NotFound(f"{dataset} is not a dcat:Dataset in the graph", dataset=str(dataset))
        parts = {dataset, *graph.objects(dataset, DCAT.distribution)}
        scores.append(score_graph(graph, dataset, compliant=not (parts & failing)))
    return scores


def dataset_quality(store: Store, dataset: URIRef) -> dict:
    return datasets_quality(store, [dataset])[0]


def dataspace_quality(store: Store, dataspace: URIRef) -> dict:
    """The average score of the datasets in a data space's catalog(s), with each one's."""
    answer = store.query(
        f"SELECT DISTINCT ?d WHERE {{ ?space {term_n3(DSKG.catalog)} ?c . "
        f"?c {term_n3(DCAT.dataset)} ?d }}", {"space": dataspace})
    datasets = sorted(d for (d,) in answer.rows if isinstance(d, URIRef))
    if not datasets and not store.query("ASK { ?s a ?t }", {"s": dataspace,
                                                           "t": DSKG.DataSpace}).boolean:
        raise NotFound(f"{dataspace} is not a dskg:DataSpace in the graph",
                       dataspace=str(dataspace))
    scores = datasets_quality(store, datasets)
    count = len(scores)
    names = store.query("SELECT ?label WHERE { ?space ?p ?label } LIMIT 1",
                        {"space": dataspace, "p": SKOS.prefLabel})
    average = round(sum(s["points"] for s in scores) / count, 2) if count else 0.0
    dimensions = {d: {"points": round(sum(s["dimensions"][d]["points"] for s in scores)
                                      / count, 2) if count else 0.0,
                      "maximum": scores[0]["dimensions"][d]["maximum"] if count else
                      sum(i.points for i in INDICATORS if i.dimension == d)}
                  for d in DIMENSIONS}
    label = names.rows[0][0] if names.rows else None
    return {"dataspace": str(dataspace), "label": None if label is None else str(label),
            "datasets": count, "points": average,
            "maximum": MAXIMUM, "rating": rating(average), "dimensions": dimensions,
            "scores": [{"dataset": s["dataset"], "label": s["label"], "points": s["points"],
                        "rating": s["rating"]} for s in scores]}
