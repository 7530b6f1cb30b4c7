"""Outbound probes: inputs that name a loopback listener (remote @context, RDF/XML entities,
DID, owl:imports, SERVICE, LOAD, FROM, harvest redirects...); the listener counts the
connections the node made (none allowed)."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable
from typing import Any

from harness.node import ADMIN, ADMIN_TOKEN, BASE_IRI, TURTLE, federation_available


class Listener:
    """A loopback TCP listener that counts every connection it accepts (and answers 200)."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    request = conn.recv(4096)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/turtle\r\n"
                                 b"Content-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    request = b""
                self.connections.append(request)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class Redirector:
    """A 'peer' whose every answer redirects to ``target`` (a harvest must not follow)."""

    def __init__(self, target: str) -> None:
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(302)
                self.send_header("Location", target + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def __enter__(self) -> Redirector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def _jsonld_org(context: Any) -> bytes:
    return json.dumps({"@context": context, "@id": "https://probe.example.org/o",
                       "@type": "http://www.w3.org/ns/org#Organization",
                       "http://www.w3.org/2004/02/skos/core#prefLabel": "Probe"}).encode()


def _credential(issuer: str, context: list[str] | None = None) -> bytes:
    subject = {"id": "https://probe.example.org/o", "type": "gx:LegalParticipant",
               "gx:legalName": "Probe"}
    return json.dumps({
        "@context": context or ["https://www.w3.org/2018/credentials/v1",
                                "https://w3id.org/security/suites/jws-2020/v1"],
        "type": ["VerifiableCredential"], "id": "https://probe.example.org/vc",
        "issuer": issuer, "issuanceDate": "2024-01-01T00:00:00Z",
        "credentialSubject": subject,
        "proof": {"type": "JsonWebSignature2020", "created": "2024-01-01T00:00:00Z",
                  "proofPurpose": "assertionMethod", "verificationMethod": issuer + "#key",
                  "jws": "eyJhbGciOiJFUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19..c2ln"},
    }).encode()


def _rdfxml(prolog: str, body: str = "x") -> bytes:
    return (f'<?xml version="1.0"?>\n{prolog}\n<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/'
            f'22-rdf-syntax-ns#" xmlns:org="http://www.w3.org/ns/org#" xmlns:skos="http://www.'
            f'w3.org/2004/02/skos/core#"><org:Organization rdf:about="https://probe.example.org'
            f'/o"><skos:prefLabel>{body}</skos:prefLabel></org:Organization></rdf:RDF>'
            ).encode()


Probe = Callable[[Any, str], int]


def _post(client: Any, path: str, body: bytes, media: str) -> int:
    return int(client.post(path, content=body, headers={**ADMIN, "Content-Type": media}
                           ).status_code)


def _sparql(client: Any, query: str) -> int:
    return int(client.get("/sparql", params={"query": query}).status_code)


#: name -> probe(client, listener URL) -> status. The client is an app's TestClient.
OUTBOUND_PROBES: dict[str, Probe] = {
    "remote @context": lambda c, url: _post(c, "/organisations", _jsonld_org(url + "/ctx"),
                                            "application/ld+json"),
    "remote @context in a list": lambda c, url: _post(
        c, "/graphs?graph=https://probe.example.org/g",
        _jsonld_org([{"ex": "http://e/"}, url + "/ctx"]), "application/ld+json"),
    "@import in a context": lambda c, url: _post(
        c, "/organisations", _jsonld_org({"@version": 1.1, "@import": url + "/ctx"}),
        "application/ld+json"),
    "RDF/XML external entity": lambda c, url: _post(
        c, "/organisations", _rdfxml(f'<!DOCTYPE rdf:RDF [<!ENTITY x SYSTEM "{url}/x">]>',
                                     "&x;"), "application/rdf+xml"),
    "RDF/XML external DTD": lambda c, url: _post(
        c, "/organisations", _rdfxml(f'<!DOCTYPE rdf:RDF SYSTEM "{url}/dtd">'),
        "application/rdf+xml"),
    "owl:imports": lambda c, url: _post(
        c, "/graphs?graph=https://probe.example.org/onto",
        f"<https://probe.example.org/onto> a <http://www.w3.org/2002/07/owl#Ontology> ; "
        f"<http://www.w3.org/2002/07/owl#imports> <{url}/onto> .".encode(), TURTLE),
    "SERVICE": lambda c, url: _sparql(c, f"SELECT * WHERE {{ SERVICE <{url}/sparql> "
                                         "{ ?s ?p ?o } }"),
    "SERVICE SILENT via prefix": lambda c, url: _sparql(
        c, f"PREFIX x: <{url}/> SELECT * WHERE {{ SERVICE SILENT x:sparql {{ ?s ?p ?o }} }}"),
    "FROM": lambda c, url: _sparql(c, f"SELECT * FROM <{url}/g> WHERE {{ ?s ?p ?o }}"),
    "SPARQL Update LOAD": lambda c, url: _post(c, "/sparql", f"LOAD <{url}/data>".encode(),
                                               "application/sparql-update"),
    "SPARQL Update LOAD INTO": lambda c, url: _post(
        c, "/sparql", f"LOAD SILENT <{url}/data> INTO GRAPH <urn:g>".encode(),
        "application/sparql-update"),
    "Gaia-X did:web issuer": lambda c, url: _post(
        c, "/gaiax/verify", _credential("did:web:" + url.removeprefix("http://").replace(
            ":", "%3A")), "application/ld+json"),
    "Gaia-X http issuer": lambda c, url: _post(c, "/gaiax/credentials", _credential(url),
                                               "application/ld+json"),
    "Gaia-X remote context": lambda c, url: _post(
        c, "/gaiax/verify", _credential("did:web:probe.example", [url + "/ctx"]),
        "application/ld+json"),
    "dereference an outside IRI": lambda c, url: int(
        c.get("/resource", params={"iri": url + "/x"}).status_code),
}


def outbound_probe_settings(peer_catalog: str | None = None) -> Any:
    from kg.settings import Settings

    config = {}
    if peer_catalog:
        config = {"peers": [{"name": "redirecting", "catalog": peer_catalog}]}
    return Settings(store="memory", admin_token=ADMIN_TOKEN, base_iri=BASE_IRI, config=config)


def harvest_probes(client: Any) -> dict[str, int]:
    """Harvests that must not leave the configured peer (run with a Redirector peer)."""
    return {"harvest a peer that is not configured": int(
        client.post("/harvest/elsewhere", headers=ADMIN).status_code),
        "harvest a peer that redirects elsewhere": int(
        client.post("/harvest/redirecting", headers=ADMIN).status_code)}


def outbound_probes() -> tuple[dict[str, int], list[bytes]]:
    """Run every probe against an app on a memory store; (status per probe, connections)."""
    from fastapi.testclient import TestClient

    from api.app import create_app

    with Listener() as listener, Redirector(listener.url) as peer:
        app = create_app(outbound_probe_settings(peer.url + "/catalog"))
        statuses: dict[str, int] = {}
        with TestClient(app, raise_server_exceptions=False) as client:
            for name, probe in OUTBOUND_PROBES.items():
                statuses[name] = probe(client, listener.url)
            if federation_available():
                statuses.update(harvest_probes(client))
        time.sleep(0.3)
        return statuses, list(listener.connections)
