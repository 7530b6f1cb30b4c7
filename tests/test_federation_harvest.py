"""Harvesting catalogs from stub peers on loopback: formats, paging, incremental re-harvest,
rejections, the Dataspace Protocol, SPARQL CONSTRUCT, and the redirect and origin rules."""

from __future__ import annotations

import importlib
import inspect
import io
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi import FastAPI, Request, Response
from rdflib import Graph, Literal, URIRef

from api.app import create_app
from harness.servers import free_port, serve_app
from kg.federation.harvest import graph_name, graph_prefix, harvest_peer
from kg.federation.peers import peer_from_table
from kg.namespaces import DCAT, DCT, DSKG, META_GRAPH, ODRL, RDF
from kg.settings import Settings
from kg.store import Store
from kg.store.embedded import EmbeddedStore

BASE = "https://node.example.org/"
EX = "https://peer.example.org/"
PREFIXES = """\
@prefix dcat: <http://www.w3.org/ns/dcat#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix foaf: <http://xmlns.com/foaf/0.1/> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix hydra: <http://www.w3.org/ns/hydra/core#> .
@prefix xsd: <http://www.w3.org/2001/XMLSchema#> .
@prefix ex: <https://peer.example.org/> .
"""


def dataset_ttl(n: int, *, title: str | None = None, description: bool = True,
                modified: str = "2024-05-01") -> str:
    text = f"""
ex:catalog dcat:dataset ex:ds{n} .
ex:ds{n} a dcat:Dataset ; dct:title "{title or f'Dataset {n}'}"@en ;
    {f'dct:description "About dataset {n}."@en ;' if description else ''}
    dct:modified "{modified}"^^xsd:date ;
    dct:publisher [ a foaf:Agent ; foaf:name "Peer publisher" ] ;
    dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://files.example.org/{n}> ;
        dcat:accessService ex:api ] ;
    odrl:hasPolicy ex:offer{n} .
ex:offer{n} a odrl:Offer ; odrl:uid ex:offer{n} ;
    odrl:assigner [ a foaf:Agent ; foaf:name "Peer publisher" ] ;
    odrl:permission [ odrl:action odrl:use ; odrl:target ex:ds{n} ] .
"""
    return text


SERVICE = """
ex:catalog dcat:service ex:api .
ex:api a dcat:DataService ; dct:title "Peer API"@en ; dcat:endpointURL <https://api.example.org/> .
"""


def catalog_ttl(*datasets: int, service: bool = True, extra: str = "") -> str:
    body = "".join(dataset_ttl(n) for n in datasets)
    return (PREFIXES + 'ex:catalog a dcat:Catalog ; dct:title "Peer catalog"@en .\n' + body
            + (SERVICE if service else "") + extra)


@dataclass
class StubPeer:
    """A peer on loopback answering from ``routes`` (path -> callable or (status, headers,
    body)) and recording every request it gets."""

    routes: dict[str, Any] = field(default_factory=dict)
    hits: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)

    def app(self) -> FastAPI:
        app = FastAPI()

        @app.api_route("/{path:path}", methods=["GET", "POST"])
        async def answer(path: str, request: Request) -> Response:
            key = "/" + path
            if key == "/health":
                return Response("ok")
            self.hits.append((request.method, str(request.url), dict(request.headers),
                              await request.body()))
            route = self.routes.get(key)
            if route is None:
                return Response(status_code=404)
            if callable(route):
                answered = route(request)
                return await answered if inspect.isawaitable(answered) else answered
            status, headers, body = route
            return Response(body, status_code=status, headers=headers)

        return app

    def turtle(self, path: str, text: str) -> None:
        self.routes[path] = (200, {"Content-Type": "text/turtle"}, text.encode())


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[StubPeer, str, StubPeer, str]]:
    """Two stub servers: the peer, and another host the peer must never lead us to."""
    peer, other = StubPeer(), StubPeer()
    with serve_app(peer.app()) as peer_url, serve_app(other.app()) as other_url:
        yield peer, peer_url, other, other_url


@pytest.fixture
def stub(servers: tuple[StubPeer, str, StubPeer, str]) -> tuple[StubPeer, str]:
    peer, url, other, _ = servers
    for server in (peer, other):
        server.routes.clear()
        server.hits.clear()
    return peer, url


@pytest.fixture
def settings() -> Settings:
    return Settings(store="memory", base_iri=BASE, load_default_graph=False)


def make_peer(url: str, **options: Any) -> Any:
    return peer_from_table({"name": "peer", "catalog": f"{url}/catalog", **options}, 0)


def meta(store: Store, graph: URIRef) -> Graph:
    record = Graph()
    for triple in store.get_graph(URIRef(META_GRAPH)).triples((graph, None, None)):
        record.add(triple)
    return record


def dump(store: Store) -> bytes:
    out = io.BytesIO()
    store.export(out, "nquads")
    return b"".join(sorted(out.getvalue().splitlines(keepends=True)))


def test_catalog_becomes_one_description_per_dataset_and_service(
        stub: tuple[StubPeer, str], store: Store, settings: Settings) -> None:
    peer_stub, url = stub
    peer_stub.turtle("/catalog", catalog_ttl(1, 2))
    peer = make_peer(url)
    report = harvest_peer(store, settings, peer)
    assert report.error is None and report.rejected == []
    assert (report.added, report.updated, report.removed) == (3, 0, 0)

    prefix = graph_prefix(settings, peer)
    ds1 = graph_name(prefix, URIRef(EX + "ds1"))
    content = store.get_graph(ds1)
    assert (URIRef(EX + "ds1"), DCT.title, Literal("Dataset 1", lang="en")) in content
    assert (URIRef(EX + "offer1"), ODRL.uid, URIRef(EX + "offer1")) in content
    assert len(list(content.objects(None, DCAT.accessURL))) == 1
    assert (URIRef(EX + "api"), None, None) not in content  # the service is its own
    assert store.has_graph(graph_name(prefix, URIRef(EX + "api")))
    assert not any(str(t[0]) == EX + "catalog" for t in content)

    record = meta(store, ds1)
    assert (ds1, DSKG.harvestedFrom, URIRef(f"{url}/catalog")) in record
    assert (ds1, DSKG.describes, URIRef(EX + "ds1")) in record
    assert str(record.value(ds1, DSKG.contentHash)).startswith("sha256:")
    assert record.value(ds1, DCT.modified) == Literal("2024-05-01", datatype=URIRef(
        "http://www.w3.org/2001/XMLSchema#date"))


def test_reharvest_replaces_only_what_changed_and_drops_what_went(
        stub: tuple[StubPeer, str], store: Store, settings: Settings) -> None:
    peer_stub, url = stub
    peer = make_peer(url)
    peer_stub.turtle("/catalog", catalog_ttl(1, 2, 3))
    assert harvest_peer(store, settings, peer).added == 4
    prefix = graph_prefix(settings, peer)
    ds1, ds2, ds3 = (graph_name(prefix, URIRef(f"{EX}ds{n}")) for n in (1, 2, 3))
    written = {g: meta(store, g).value(g, URIRef("http://www.w3.org/ns/prov#generatedAtTime"))
               for g in (ds1, ds2)}

    again = harvest_peer(store, settings, peer)
    assert (again.added, again.updated, again.removed, again.unchanged) == (0, 0, 0, 4)

    changed = catalog_ttl(1, 3).replace('"Dataset 3"@en', '"Dataset three"@en')
    peer_stub.turtle("/catalog", changed)
    report = harvest_peer(store, settings, peer)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 1, 2)
    assert not store.has_graph(ds2)
    gone = meta(store, ds2)  # only the deletion's tombstone is left
    assert (ds2, RDF.type, DSKG.DeletedDescription) in gone
    assert gone.value(ds2, URIRef("http://www.w3.org/ns/prov#generatedAtTime")) is None
    assert (URIRef(EX + "ds3"), DCT.title, Literal("Dataset three", lang="en")) in \
        store.get_graph(ds3)
    assert meta(store, ds1).value(ds1, URIRef("http://www.w3.org/ns/prov#generatedAtTime")) \
        == written[ds1]  # untouched


def test_other_formats_of_the_same_catalog_change_nothing(
        stub: tuple[StubPeer, str], store: Store, settings: Settings) -> None:
    peer_stub, url = stub
    peer = make_peer(url)
    peer_stub.turtle("/catalog", catalog_ttl(1, 2))
    harvest_peer(store, settings, peer)
    graph = Graph().parse(data=catalog_ttl(1, 2), format="turtle")
    for media, fmt in (("application/rdf+xml", "xml"), ("application/ld+json", "json-ld"),
                       ("application/n-triples", "nt")):
        peer_stub.routes["/catalog"] = (200, {"Content-Type": media},
                                        graph.serialize(format=fmt).encode())
        report = harvest_peer(store, settings, peer)
        assert report.error is None, media
        assert (report.added, report.updated, report.unchanged) == (0, 0, 3), media


def test_invalid_descriptions_are_rejected_and_the_rest_land(
        stub: tuple[StubPeer, str], store: Store, settings: Settings) -> None:
    peer_stub, url = stub
    text = catalog_ttl(1) + dataset_ttl(2, description=False) + PREFIXES + """
ex:catalog dcat:dataset [ a dcat:Dataset ; dct:title "Anonymous"@en ;
    dct:description "No IRI."@en ] ."""
    peer_stub.turtle("/catalog", text)
    report = harvest_peer(store, settings, make_peer(url))
    assert report.error is None
    assert report.added == 2  # ds1 and the service
    reasons = {r.iri: r.reason for r in report.rejected}
    assert "dct:description" in reasons[EX + "ds2"]
    assert any("without an IRI" in r for r in reasons.values())
    assert not store.has_graph(graph_name(graph_prefix(settings, make_peer(url)),
                                          URIRef(EX + "ds2")))
    text_report = report.to_text()
    assert "rejected https://peer.example.org/ds2" in text_report


def test_trusted_peer_lands_without_our_shapes(
        stub: tuple[StubPeer, str], store: Store, settings: Settings) -> None:
    peer_stub, url = stub
    peer_stub.turtle("/catalog", PREFIXES + dataset_ttl(2, description=False))
    report = harvest_peer(store, settings, make_peer(url, trust=True))
    assert (report.added, report.rejected) == (1, [])


def test_hydra_pages_are_followed(stub: tuple[StubPeer, str], store: Store,
                                  settings: Settings) -> None:
    peer_stub, url = stub

    def page(request: Request) -> Response:
        number = int(request.query_params.get("page", "1"))
        nxt = (f'ex:catalog hydra:view <{url}/catalog?page={number}> . '
               f'<{url}/catalog?page={number}> a hydra:PartialCollectionView ; '
               f'hydra:next <{url}/catalog?page={number + 1}> .') if number < 3 else ""
        text = catalog_ttl(number * 10, number * 10 + 1, service=number == 1, extra=nxt)
        return Response(text, media_type="text/turtle")

    peer_stub.routes["/catalog"] = page
    report = harvest_peer(store, settings, make_peer(url))
    assert report.error is None and report.pages == 3
    assert report.added == 7


def test_link_header_paging(stub: tuple[StubPeer, str], store: Store,
                            settings: Settings) -> None:
    peer_stub, url = stub
    peer_stub.routes["/catalog"] = (200, {"Content-Type": "text/turtle",
                                          "Link": '</page2>; rel="next"'},
                                    catalog_ttl(1).encode())
    peer_stub.turtle("/page2", catalog_ttl(2, service=False))
    report = harvest_peer(store, settings, make_peer(url))
    assert (report.pages, report.added) == (2, 3)


def test_etag_makes_an_unchanged_catalog_cheap(stub: tuple[StubPeer, str], store: Store,
                                               settings: Settings) -> None:
    peer_stub, url = stub
    body = catalog_ttl(1).encode()

    def conditional(request: Request) -> Response:
        if request.headers.get("if-none-match") == '"v1"':
            return Response(status_code=304, headers={"ETag": '"v1"'})
        return Response(body, media_type="text/turtle", headers={"ETag": '"v1"'})

    peer_stub.routes["/catalog"] = conditional
    assert harvest_peer(store, settings, make_peer(url)).added == 2
    report = harvest_peer(store, settings, make_peer(url))
    assert report.not_modified and report.unchanged == 2 and report.error is None
    assert peer_stub.hits[-1][2].get("if-none-match") == '"v1"'


def test_take_keeps_only_the_descriptions_asked_for(
        stub: tuple[StubPeer, str], store: Store, settings: Settings) -> None:
    peer_stub, url = stub
    peer_stub.turtle("/catalog", catalog_ttl(1, 2))
    report = harvest_peer(store, settings, make_peer(url, take=[EX + "offer2"]))
    assert report.added == 2  # ds2, and the service its distribution needs
    prefix = graph_prefix(settings, make_peer(url))
    assert store.has_graph(graph_name(prefix, URIRef(EX + "ds2")))
    assert store.has_graph(graph_name(prefix, URIRef(EX + "api")))
    assert not store.has_graph(graph_name(prefix, URIRef(EX + "ds1")))


DSP_CATALOG = {
    "@context": {"dcat": "http://www.w3.org/ns/dcat#", "dct": "http://purl.org/dc/terms/",
                 "odrl": "http://www.w3.org/ns/odrl/2/",
                 "dspace": "https://w3id.org/dspace/v0.8/"},
    "@id": "urn:uuid:catalog-1",
    "@type": "dcat:Catalog",
    "dspace:participantId": "urn:example:ProviderA",
    "dcat:dataset": [{
        "@id": "urn:uuid:dataset-1",
        "@type": "dcat:Dataset",
        "dct:title": "Traffic data",
        "dct:description": "Traffic sample",
        "odrl:hasPolicy": [{
            "@id": "urn:uuid:offer-1",
            "@type": "odrl:Offer",
            "odrl:permission": [{"odrl:action": "odrl:use", "odrl:constraint": [{
                "odrl:leftOperand": "odrl:spatial", "odrl:operator": "odrl:eq",
                "odrl:rightOperand": "EU"}]}],
        }],
        "dcat:distribution": {"@type": "dcat:Distribution", "dct:format": "dspace:HttpData",
                              "dcat:accessService": {"@id": "urn:uuid:service-1"}},
    }],
    "dcat:service": [{"@id": "urn:uuid:service-1", "@type": "dcat:DataService",
                      "dcat:endpointURL": {"@id": "https://provider.example.org/dsp"}}],
}


def test_dataspace_protocol_catalog(stub: tuple[StubPeer, str], store: Store,
                                    settings: Settings) -> None:
    peer_stub, url = stub
    peer_stub.routes["/catalog"] = (200, {"Content-Type": "application/ld+json"},
                                    json.dumps(DSP_CATALOG).encode())
    peer = make_peer(url, harvest="dsp", trust=True)
    report = harvest_peer(store, settings, peer)
    assert report.error is None and report.added == 2
    method, _url, headers, body = peer_stub.hits[-1]
    assert method == "POST" and "CatalogRequestMessage" in body.decode()
    assert headers["content-type"] == "application/json"
    content = store.get_graph(graph_name(graph_prefix(settings, peer),
                                         URIRef("urn:uuid:dataset-1")))
    assert (URIRef("urn:uuid:dataset-1"), ODRL.hasPolicy, URIRef("urn:uuid:offer-1")) in content
    assert set(content.objects(None, ODRL.action)) == {ODRL.use}
    assert set(content.objects(None, ODRL.leftOperand)) == {ODRL.spatial}


def test_dataspace_protocol_remote_context_is_refused(
        stub: tuple[StubPeer, str], store: Store, settings: Settings) -> None:
    peer_stub, url = stub
    document = {**DSP_CATALOG, "@context": "https://w3id.org/dspace/2024/1/context.json"}
    peer_stub.routes["/catalog"] = (200, {"Content-Type": "application/ld+json"},
                                    json.dumps(document).encode())
    report = harvest_peer(store, settings, make_peer(url, harvest="dsp"))
    assert report.error is not None and "w3id.org/dspace/2024/1/context.json" in report.error
    assert store.graph_names() == []


def test_sparql_construct_harvest(store: Store, settings: Settings) -> None:
    source = EmbeddedStore()
    graph = Graph().parse(data=catalog_ttl(7), format="turtle")
    source.replace_graphs({URIRef(EX + "g"): list(graph)})
    app = create_app(Settings(store="memory", load_default_graph=False), source)
    with serve_app(app) as url:
        peer = peer_from_table({"name": "node", "sparql": f"{url}/sparql"}, 0)
        report = harvest_peer(store, settings, peer)
    assert report.error is None and report.added == 2
    content = store.get_graph(graph_name(graph_prefix(settings, peer), URIRef(EX + "ds7")))
    assert len(list(content.objects(None, DCAT.accessURL))) == 1
    assert (URIRef(EX + "offer7"), ODRL.uid, URIRef(EX + "offer7")) in content


# -- never anything but the peer -----------------------------------------------------------
def _redirect(to: str) -> Callable[[Request], Response]:
    return lambda request: Response(status_code=302, headers={"Location": to})


def test_redirect_on_the_same_server_is_followed(
        stub: tuple[StubPeer, str], store: Store, settings: Settings) -> None:
    peer_stub, url = stub
    peer_stub.routes["/catalog"] = _redirect("/moved")
    peer_stub.turtle("/moved", catalog_ttl(1))
    assert harvest_peer(store, settings, make_peer(url)).added == 2


def test_redirect_to_another_host_is_refused(
        servers: tuple[StubPeer, str, StubPeer, str], store: Store,
        settings: Settings) -> None:
    peer_stub, url, other, other_url = servers
    other.hits.clear()
    other.turtle("/catalog", catalog_ttl(1))
    peer_stub.routes["/catalog"] = _redirect(f"{other_url}/catalog")
    report = harvest_peer(store, settings, make_peer(url))
    assert report.error is not None and "refused" in report.error
    assert other.hits == [] and store.graph_names() == []


def test_next_page_on_another_host_is_refused(
        servers: tuple[StubPeer, str, StubPeer, str], store: Store,
        settings: Settings) -> None:
    peer_stub, url, other, other_url = servers
    other.hits.clear()
    other.turtle("/page2", catalog_ttl(2))
    peer_stub.turtle("/catalog", catalog_ttl(1, extra=(
        f"ex:catalog hydra:view <{url}/catalog> . "
        f"<{url}/catalog> hydra:next <{other_url}/page2> .")))
    report = harvest_peer(store, settings, make_peer(url))
    assert report.error is not None and other_url in report.error
    assert other.hits == [] and store.graph_names() == []


def test_peer_down_changes_nothing(stub: tuple[StubPeer, str], store: Store,
                                   settings: Settings) -> None:
    peer_stub, url = stub
    peer_stub.turtle("/catalog", catalog_ttl(1, 2))
    harvest_peer(store, settings, make_peer(url))
    before = dump(store)
    down = peer_from_table({"name": "peer", "catalog": f"http://127.0.0.1:{free_port()}/c"}, 0)
    report = harvest_peer(store, settings, down)
    assert report.error is not None and "cannot reach" in report.error
    assert dump(store) == before
    peer_stub.routes["/catalog"] = (500, {}, b"boom")
    report = harvest_peer(store, settings, make_peer(url))
    assert report.error is not None and "HTTP 500" in report.error
    assert dump(store) == before


def test_oversized_catalog_is_cut_off(stub: tuple[StubPeer, str], store: Store,
                                      settings: Settings) -> None:
    peer_stub, url = stub
    peer_stub.turtle("/catalog", catalog_ttl(1, 2, 3))
    report = harvest_peer(store, settings, make_peer(url, max_bytes=1000))
    assert report.error is not None and "max_bytes" in report.error
    assert store.graph_names() == []


def test_large_harvests_take_the_bulk_route(stub: tuple[StubPeer, str], store: Store,
                                            settings: Settings,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    module = importlib.import_module("kg.federation.harvest")  # the package exports harvest()
    monkeypatch.setattr(module, "BATCH", 2)
    monkeypatch.setattr(module, "BULK_MIN", 4)
    monkeypatch.setattr(module, "BULK_CHUNK", 8)
    peer_stub, url = stub
    peer_stub.turtle("/catalog", catalog_ttl(*range(1, 10)) + dataset_ttl(10, description=False))
    peer = make_peer(url)
    report = harvest_peer(store, settings, peer)
    assert (report.added, report.error) == (10, None)  # nine datasets and the service
    assert [r.iri for r in report.rejected] == [EX + "ds10"]
    assert "dct:description" in report.rejected[0].reason
    name = graph_name(graph_prefix(settings, peer), URIRef(EX + "ds4"))
    record = meta(store, name)
    assert set(record.objects(name, DSKG.describes)) == {URIRef(EX + "ds4")}
    assert (name, DSKG.harvestedFrom, URIRef(f"{url}/catalog")) in record
    content = store.get_graph(name)
    assert len(list(content.objects(None, DCAT.accessURL))) == 1
    assert len(set(content.subjects())) == len(set(store.get_graph(graph_name(
        graph_prefix(settings, peer), URIRef(EX + "ds5"))).subjects()))  # blank nodes apart
    again = harvest_peer(store, settings, peer)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 10)
