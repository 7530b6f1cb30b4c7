"""Helpers for the REST tests: a fresh store holding the default graph, apps, tokens."""

from __future__ import annotations

from functools import cache
from io import BytesIO
from pathlib import Path

from fastapi import FastAPI
from rdflib import URIRef

from api.app import create_app
from kg.namespaces import META_GRAPH, PROV
from kg.settings import Settings
from kg.store import Store
from kg.store.embedded import EmbeddedStore
from kg.tokens import create_token

BASE = "http://127.0.0.1:8000/"
ADMIN_TOKEN = "test-admin-token"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
TURTLE = "text/turtle"
JSONLD = "application/ld+json"


@cache
def _ecosystem_nquads() -> bytes:
    from kg.defaultgraph import load_default_graph

    store = EmbeddedStore()
    load_default_graph(store, BASE)
    out = BytesIO()
    store.export(out, "nquads")
    return out.getvalue()


def ecosystem_store() -> Store:
    """A new in-memory store holding the default graph (copied, so tests may write)."""
    store = EmbeddedStore()
    store.import_quads(_ecosystem_nquads(), "nquads")
    return store


def settings() -> Settings:
    return Settings(store="memory", admin_token=ADMIN_TOKEN, base_iri=BASE,
                    load_default_graph=False)


def app_for(store: Store) -> FastAPI:
    return create_app(settings(), store)


def steward_token(tokens_file: Path, monkeypatch, *spaces: str, subject: str = "steward",
                  role: str = "steward") -> dict[str, str]:
    """Authorization headers of a new token (tokens kept in ``tokens_file``)."""
    monkeypatch.setenv("DSKG_TOKENS_FILE", str(tokens_file))
    token = create_token(settings(), role, subject, list(spaces))
    return {"Authorization": f"Bearer {token}"}


def agent_of(headers: dict[str, str], role: str = "steward") -> URIRef:
    """The agent IRI the provenance gives writes made with these Authorization headers (the
    role and a hash of the token, never its subject: issue 22)."""
    from kg.auth import agent_name, token_digest
    from kg.write import agent_iri

    token = headers["Authorization"].split()[-1]
    return agent_iri(agent_name(role, token_digest(token)))


def attributed_to(store: Store, graph: URIRef) -> set[URIRef]:
    """The agents the provenance record of ``graph`` (or of the graph describing the
    resource ``graph``) names."""
    result = store.query(f"SELECT ?a WHERE {{ GRAPH <{META_GRAPH}> {{ "
                         f"?g <{PROV.wasAttributedTo}> ?a FILTER(?g = <{graph}> || EXISTS "
                         f"{{ ?g <https://w3id.org/dskg#describes> <{graph}> }}) }} }}")
    return {a for a in result.column("a") if isinstance(a, URIRef)}


def description_of(store: Store, iri: URIRef):  # -> rdflib.Graph
    """The triples of the description (named graph) that describes ``iri``."""
    from kg.services.documents import locate

    located = locate(store, iri)
    assert located is not None, f"{iri} is not described"
    return store.get_graph(located.graph)
