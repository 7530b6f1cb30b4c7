"""Reading a peer's Dataspace Protocol (2025-1) catalog.

The peer's ``catalog`` URL is either its catalog request endpoint (``.../catalog/request``) or
the root of a connector: then its ``/.well-known/dspace-version`` names the path of the
2025-1 HTTPS binding. Every page is a POSTed ``CatalogRequestMessage``; the next page is the
``Link: rel="next"`` URL, POSTed the same message. The answer is JSON-LD in the DSP 2025-1
context (shipped, so it is read offline); what that context leaves as strings where DCAT
means resources (``accessService``, ``endpointURL``) is turned back into IRIs.
"""

from __future__ import annotations

import json
from urllib.parse import urljoin, urlsplit

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.federation.fetch import Fetched, PeerClient, PeerUnavailable
from kg.namespaces import DCAT

VERSION = "2025-1"
CONTEXT = "https://w3id.org/dspace/2025/1/context.jsonld"
MESSAGE = json.dumps({"@context": [CONTEXT], "@type": "CatalogRequestMessage",
                      "filter": []}).encode()
HEADERS = {"Accept": "application/json, application/ld+json;q=0.9",
           "Content-Type": "application/json"}
_AS_IRI = (DCAT.accessService, DCAT.endpointURL)
_IRI_SCHEMES = ("http://", "https://", "urn:", "did:")

Triple = tuple[Node, Node, Node]


def catalog_endpoint(client: PeerClient, url: str) -> str:
    """The catalog request URL of the peer: ``url`` itself, or found through the peer's
    version metadata when ``url`` is the connector's root."""
    if urlsplit(url).path.rstrip("/").endswith("/catalog/request"):
        return url
    root = url.rstrip("/")
    try:
        found = client.request("GET", root + "/.well-known/dspace-version",
                               headers={"Accept": "application/json"})
    except PeerUnavailable as exc:
        if exc.extra.get("http_status") == 404:
            return url  # no version metadata: the URL is the catalog endpoint itself
        raise
    try:
        versions = json.loads(found.body)["protocolVersions"]
        path = next(v["path"] for v in versions
                    if v.get("version") == VERSION and v.get("binding", "HTTPS") == "HTTPS")
    except (ValueError, KeyError, TypeError, StopIteration):
        raise PeerUnavailable(f"{found.url} names no Dataspace Protocol {VERSION} HTTPS "
                              "endpoint", url=found.url) from None
    endpoint = urljoin(root + "/", str(path).lstrip("/")).rstrip("/") + "/catalog/request"
    client.check(endpoint)
    return endpoint


def request_page(client: PeerClient, url: str) -> Fetched:
    """POST the CatalogRequestMessage to ``url`` (a catalog endpoint or a next-page link)."""
    return client.request("POST", url, content=MESSAGE, headers=HEADERS)


def as_dcat(triples: list[Triple]) -> list[Triple]:
    """``dcat:accessService "urn:x"`` -> ``dcat:accessService <urn:x>`` (and endpointURL)."""
    out: list[Triple] = []
    for s, p, o in triples:
        if p in _AS_IRI and isinstance(o, Literal) and str(o).startswith(_IRI_SCHEMES) \
                and " " not in str(o):
            o = URIRef(str(o))
        out.append((s, p, o))
    return out
