"""/catalog passes SEMIC's DCAT-AP 3.0.1 shapes with range.ttl on the catalog alone
(issue 15): every referenced controlled-vocabulary term is published with its type (and
label and scheme), as portal exporters do."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pyshacl
import pytest
from rdflib import Graph, URIRef

from harness.servers import serve_app
from kg.namespaces import DCAT, RDF, SKOS
from tests.rest_support import app_for, ecosystem_store

SHAPES = Path(__file__).resolve().parents[1] / "shapes"
SH = "http://www.w3.org/ns/shacl#"


@pytest.fixture(scope="module")
def node() -> Iterator[str]:
    with serve_app(app_for(ecosystem_store())) as url:
        yield url


@pytest.fixture(scope="module")
def semic() -> Graph:
    return (Graph().parse(SHAPES / "vendor" / "dcat-ap" / "shapes.ttl")
            .parse(SHAPES / "optional" / "dcat-ap" / "range.ttl"))


def violations(data: Graph, shapes: Graph) -> list[tuple[str, str, str]]:
    _conforms, report, _text = pyshacl.validate(data, shacl_graph=shapes, advanced=True)
    rows = report.query(f"""SELECT ?focus ?path ?message WHERE {{
        ?r a <{SH}ValidationResult> ; <{SH}resultSeverity> <{SH}Violation> ;
           <{SH}focusNode> ?focus .
        OPTIONAL {{ ?r <{SH}resultPath> ?path }} OPTIONAL {{ ?r <{SH}resultMessage> ?message }}
    }}""")
    return [(str(f), str(p), str(m)) for f, p, m in rows]  # type: ignore[misc]


@pytest.mark.parametrize("query", ["", "?page=2&pageSize=10", "?all=true"])
def test_catalog_passes_semic_shapes_and_range_alone(node: str, semic: Graph,
                                                     query: str) -> None:
    answer = httpx.get(f"{node}/catalog{query}", headers={"Accept": "text/turtle"})
    assert answer.status_code == 200
    catalog = Graph().parse(data=answer.text, format="turtle")
    assert len(list(catalog.objects(None, DCAT.dataset))) >= 10
    assert violations(catalog, semic) == []


def test_referenced_terms_carry_type_label_and_scheme(node: str) -> None:
    catalog = Graph().parse(data=httpx.get(f"{node}/catalog").text, format="turtle")
    themes = set(catalog.objects(None, DCAT.theme))
    assert themes
    for theme in themes:
        assert (theme, RDF.type, SKOS.Concept) in catalog
        assert catalog.value(theme, SKOS.prefLabel) is not None
        assert catalog.value(theme, SKOS.inScheme) == URIRef(
            "http://publications.europa.eu/resource/authority/data-theme")
