"""Turning what a peer sent into triples: any RDF format, Hydra or Link-header paging, and
the Dataspace Protocol's catalog JSON-LD.

A Dataspace Protocol catalog is a ``dcat:Catalog`` whose ``dcat:dataset`` entries carry their
``odrl:hasPolicy`` offers; it is ordinary JSON-LD. The DSP 2025-1 context is shipped
(kg/contexts/); older ones (2024-1, 0.8) are not, so a document naming them is refused like
any remote context (see kg/federation/dsp.py for the requests). DSP documents often give
ODRL actions and operators as ``"odrl:use"`` strings where ODRL wants IRIs; those are turned
into the ODRL IRIs they name.
"""

from __future__ import annotations

import re

from rdflib import Literal, URIRef
from rdflib.term import Node

from kg.errors import DskgError
from kg.federation.fetch import Fetched, PeerUnavailable
from kg.namespaces import HYDRA, ODRL
from kg.rdfio import format_for_media_type, iter_quads

Triple = tuple[Node, Node, Node]

#: What we ask a catalog for, best first.
ACCEPT_RDF = ("text/turtle, application/ld+json;q=0.9, application/rdf+xml;q=0.8, "
              "application/n-triples;q=0.7, application/trig;q=0.6, application/n-quads;q=0.5")
#: ODRL properties whose values are ODRL terms (IRIs), sometimes sent as "odrl:x" strings.
_ODRL_TERM_PROPERTIES = (ODRL.action, ODRL.leftOperand, ODRL.operator)
_ODRL_CURIE = re.compile(r"^odrl:([A-Za-z][A-Za-z0-9_-]*)$")
_NEXT = (HYDRA.next, HYDRA.nextPage)


def parse_page(fetched: Fetched) -> list[Triple]:
    """The triples of one fetched document (all graphs merged)."""
    try:
        fmt = format_for_media_type(fetched.content_type or None)
        triples: list[Triple] = [
            (s, p, o) for s, p, o, _g in iter_quads(fetched.body, fmt, base_iri=fetched.url)]
    except DskgError as exc:
        raise PeerUnavailable(f"{fetched.url}: {exc.message}", url=fetched.url) from None
    if fmt == "json-ld":
        triples = odrl_terms_as_iris(triples)
    return triples


def odrl_terms_as_iris(triples: list[Triple]) -> list[Triple]:
    """``odrl:action "odrl:use"`` -> ``odrl:action odrl:use`` (and operators, left operands)."""
    fixed: list[Triple] = []
    for s, p, o in triples:
        if p in _ODRL_TERM_PROPERTIES and isinstance(o, Literal):
            match = _ODRL_CURIE.match(str(o))
            if match:
                o = ODRL[match.group(1)]
        fixed.append((s, p, o))
    return fixed


def next_page(triples: list[Triple], fetched: Fetched) -> str | None:
    """The next page of a paged catalog: a Link rel="next" header or a Hydra ``next``."""
    if fetched.link_next:
        return fetched.link_next
    for _s, p, o in triples:
        if p in _NEXT and isinstance(o, URIRef):
            return str(o)
    return None
