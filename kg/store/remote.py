"""A remote SPARQL 1.1 engine as the store (Query, Update and Graph Store protocols).

Works with any engine that speaks the protocols: ``oxigraph serve``, Virtuoso, Fuseki,
GraphDB. Queries go through SPARQLWrapper; Graph Store and raw result passthrough through httpx.
The engine must answer queries over the union of its named graphs (see the README for how
to configure each engine); we never rely on its default graph for data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, BinaryIO
from urllib.error import HTTPError, URLError

import httpx
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Identifier
from SPARQLWrapper import JSON, POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import EndPointNotFound, QueryBadFormed, SPARQLWrapperException

from kg.errors import (
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
)
from kg.store.base import (
    RESULT_FORMATS,
    QueryResult,
    SerializedResult,
    Store,
    Triple,
    touched_by,
)
from kg.store.results import rows_at_most, rows_exactly
from kg.store.sparql_text import (
    bind_variables,
    replace_graphs_update,
    term_n3,
    triples_block,
)


def _term(binding: dict[str, str]) -> Identifier:
    kind = binding["type"]
    value = binding["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    lang = binding.get("xml:lang")
    datatype = binding.get("datatype")
    return Literal(value, lang=lang, datatype=URIRef(datatype) if datatype else None)


class RemoteStore(Store):
    """SPARQL 1.1 endpoint(s). ``update_url`` and ``gsp_url`` default to ``query_url``."""

    shared_with_other_writers = True

    def __init__(self, query_url: str, update_url: str | None = None,
                 gsp_url: str | None = None, *, union_graph_clause: bool = True) -> None:
        super().__init__()
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.gsp_url = gsp_url
        self.kind = f"remote SPARQL ({query_url})"
        # Engines differ on the union default graph; we make it explicit in our own
        # queries by wrapping patterns in GRAPH ?g where that matters (see _union).
        self.union_graph_clause = union_graph_clause
        self._http = httpx.Client(timeout=60.0)

    # -- plumbing ------------------------------------------------------------------------
    def _wrapper(self, url: str, timeout: float | None) -> SPARQLWrapper:
        wrapper = SPARQLWrapper(url)
        wrapper.setMethod(POST)
        # Content negotiation by Accept only: Virtuoso reads SPARQLWrapper's extra
        # format=/output= parameters as a format request and answers 406.
        wrapper.setOnlyConneg(True)
        if timeout is not None:
            wrapper.setTimeout(max(1, int(timeout + 0.999)))
        return wrapper

    def _run(self, wrapper: SPARQLWrapper) -> Any:
        try:
            return wrapper.query()
        except QueryBadFormed as exc:
            raise QuerySyntaxError(f"the engine rejected the query: {exc}") from None
        except (EndPointNotFound, URLError, ConnectionError) as exc:
            raise StoreUnavailable(f"SPARQL engine unreachable at {wrapper.endpoint}: {exc}"
                                   ) from exc
        except TimeoutError as exc:
            raise QueryTimeout("the engine did not answer in time") from exc
        except (SPARQLWrapperException, HTTPError) as exc:
            raise StoreUnavailable(f"SPARQL engine error: {exc}") from exc

    @staticmethod
    def _dataset_params(default_graphs: Sequence[URIRef] | None,
                        named_graphs: Sequence[URIRef] | None, wrapper: SPARQLWrapper) -> None:
        for g in default_graphs or ():
            wrapper.addDefaultGraph(str(g))
        for g in named_graphs or ():
            wrapper.addNamedGraph(str(g))

    # -- reads ---------------------------------------------------------------------------
    def query(self, sparql: str, bindings: Mapping[str, Identifier] | None = None, *,
              timeout: float | None = None, limit: int | None = None,
              default_graphs: Sequence[URIRef] | None = None,
              named_graphs: Sequence[URIRef] | None = None) -> QueryResult:
        text = bind_variables(sparql, bindings)
        wrapper = self._wrapper(self.query_url, timeout)
        wrapper.setQuery(text)
        self._dataset_params(default_graphs, named_graphs, wrapper)
        kind = wrapper.queryType
        if kind in ("CONSTRUCT", "DESCRIBE"):
            wrapper.setReturnFormat("n3")
            wrapper.addCustomHttpHeader("Accept", "application/n-triples, text/turtle;q=0.9")
            response = self._run(wrapper)
            raw = response.response.read()
            content_type = response.response.headers.get("Content-Type", "text/turtle")
            graph = Graph()
            graph.parse(data=raw, format="nt" if "n-triples" in content_type else "turtle")
            if limit is not None and len(graph) > limit:
                raise ResultTooLarge(f"the query returns more than {limit} triples")
            return QueryResult(kind="CONSTRUCT", graph=graph)
        wrapper.setReturnFormat(JSON)
        doc = self._run(wrapper).convert()
        if "boolean" in doc:
            return QueryResult(kind="ASK", boolean=bool(doc["boolean"]))
        variables = doc["head"].get("vars", [])
        bindings_list = doc["results"]["bindings"]
        if limit is not None and len(bindings_list) > limit:
            raise ResultTooLarge(f"the query returns more than {limit} rows")
        rows = [tuple(_term(b[v]) if v in b else None for v in variables) for b in bindings_list]
        return QueryResult(kind="SELECT", variables=variables, rows=rows)

    def query_serialized(self, sparql: str, media_type: str, *,
                         timeout: float | None = None, limit: int | None = None,
                         default_graphs: Sequence[URIRef] | None = None,
                         named_graphs: Sequence[URIRef] | None = None,
                         base_iri: str | None = None) -> SerializedResult:
        """The engine's own bytes when it answers in the asked format (results formats and
        N-Triples, whose rows the cap can count); otherwise parsed and re-serialised."""
        options: dict[str, Any] = {"timeout": timeout, "limit": limit, "base_iri": base_iri,
                                   "default_graphs": default_graphs,
                                   "named_graphs": named_graphs}
        fmt = RESULT_FORMATS.get(media_type) or (
            "ntriples" if media_type == "application/n-triples" else None)
        if fmt is None:
            return super().query_serialized(sparql, media_type, **options)
        params = [("default-graph-uri", str(g)) for g in default_graphs or ()] + [
            ("named-graph-uri", str(g)) for g in named_graphs or ()]
        text = f"BASE <{base_iri}>\n{sparql}" if base_iri else sparql
        try:
            response = self._http.post(self.query_url, params=params, data={"query": text},
                                       headers={"Accept": media_type},
                                       timeout=60.0 if timeout is None else timeout)
        except httpx.TimeoutException:
            raise QueryTimeout("the engine did not answer in time") from None
        except httpx.HTTPError as exc:
            raise StoreUnavailable(f"SPARQL engine unreachable at {self.query_url}: {exc}"
                                   ) from None
        got = response.headers.get("content-type", "").split(";")[0].strip().lower()
        if response.status_code != 200 or got != media_type:
            return super().query_serialized(sparql, media_type, **options)
        body = response.content
        if limit is not None:
            rows = body.count(b"\n") if fmt == "ntriples" else (
                rows_at_most(body, fmt) if rows_at_most(body, fmt) <= limit
                else rows_exactly(body, fmt))
            if rows > limit:
                raise ResultTooLarge(f"the query returns more than {limit} rows")
        return SerializedResult(media_type, body)

    def get_graph(self, name: URIRef) -> Graph:
        if self.gsp_url:
            # Graph Store Protocol: GET ?graph=<name> answers the graph as N-Triples.
            response = self._http.get(self.gsp_url, params={"graph": str(name)},
                                      headers={"Accept": "application/n-triples"})
            if response.status_code == 404:
                return Graph(identifier=name)
            if response.status_code >= 400:
                raise StoreUnavailable(f"Graph Store GET failed: HTTP {response.status_code}")
            graph = Graph(identifier=name)
            graph.parse(data=response.content, format="nt")
            return graph
        result = self.query(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH {term_n3(name)} "
                            "{ ?s ?p ?o } }")
        graph = Graph(identifier=name)
        assert result.graph is not None
        for triple in result.graph:
            graph.add(triple)
        return graph

    def has_graph(self, name: URIRef) -> bool:
        return bool(self.query(f"ASK {{ GRAPH {term_n3(name)} {{ ?s ?p ?o }} }}").boolean)

    def graph_names(self) -> list[URIRef]:
        # GROUP BY, not DISTINCT: Virtuoso answers DISTINCT ?g from its graph list, past the
        # graph-level security that hides its system graphs.
        result = self.query("SELECT ?g WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        return sorted(g for (g,) in result.rows if isinstance(g, URIRef))

    def triple_count(self, graph: URIRef | None = None) -> int:
        scope = term_n3(graph) if graph is not None else "?g"
        result = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {scope} {{ ?s ?p ?o }} }}")
        return int(result.rows[0][0]) if result.rows else 0

    # -- writes --------------------------------------------------------------------------
    def replace_graphs(self, graphs: Mapping[URIRef, Iterable[Triple]], *,
                       drop: Iterable[URIRef] = (),
                       add: Mapping[URIRef, Iterable[Triple]] | None = None,
                       remove_subjects: Mapping[URIRef, Iterable[URIRef]] | None = None) -> None:
        graphs, drop = dict(graphs), list(drop)
        request = _replace_request(graphs, drop, add, remove_subjects)
        if request:
            self.update(request, touched=touched_by(graphs, drop, add, remove_subjects))

    def update(self, sparql_update: str, *, timeout: float | None = None,
               touched: Iterable[URIRef] | None = None) -> None:
        wrapper = self._wrapper(self.update_url, timeout)
        wrapper.setQuery(sparql_update)
        try:
            self._run(wrapper)
        finally:
            # Also after a failure: an engine without transactions (Virtuoso's default) may
            # have applied part of the request.
            self.changed(touched)

    def clear(self) -> None:
        self.update("CLEAR ALL")
        remaining = self.graph_names()
        if remaining:
            # Virtuoso ignores CLEAR ALL; drop the graphs we see (never its hidden system graphs).
            self.update(" ;\n".join(f"DROP SILENT GRAPH {term_n3(g)}" for g in remaining))

    # -- bulk ----------------------------------------------------------------------------
    def export(self, out: BinaryIO, format: str = "nquads") -> None:
        result = self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        for s, p, o, g in result.rows:
            assert s is not None and p is not None and o is not None and g is not None
            out.write(f"{term_n3(s)} {term_n3(p)} {term_n3(o)} {term_n3(g)} .\n".encode())

    def import_quads(self, data: BinaryIO | bytes, format: str = "nquads", *,
                     base_iri: str | None = None, to_graph: URIRef | None = None) -> None:
        from kg.store.parsing import parse_quads

        raw = data if isinstance(data, bytes) else data.read()
        graphs: dict[URIRef, list[Triple]] = {}
        for s, p, o, g in parse_quads(raw, format, base_iri):
            name = to_graph if to_graph is not None else g
            if name is not None:
                graphs.setdefault(name, []).append((s, p, o))
        request = _replace_request({}, (), graphs, None)
        if request:
            self.update(request, touched=graphs)

    def close(self) -> None:
        self._http.close()


def _replace_request(graphs: Mapping[URIRef, Iterable[Triple]], drop: Iterable[URIRef],
                     add: Mapping[URIRef, Iterable[Triple]] | None,
                     remove_subjects: Mapping[URIRef, Iterable[URIRef]] | None) -> str:
    """``replace_graphs_update``, except that triples with blank nodes are inserted with
    ``INSERT { ... } WHERE {}``: Virtuoso refuses blank nodes in INSERT DATA (SP031), and the
    template form is standard SPARQL 1.1 with the same meaning (fresh blank nodes)."""
    inserts = [(g, list(t)) for g, t in [*graphs.items(), *(add or {}).items()]]
    if not any(isinstance(term, BNode) for _g, triples in inserts for triple in triples
               for term in triple):
        return replace_graphs_update(dict(inserts[:len(graphs)]), drop,
                                     dict(inserts[len(graphs):]), remove_subjects)
    removals = replace_graphs_update({}, [*drop, *graphs], None, remove_subjects)
    blocks = [f"GRAPH {term_n3(g)} {{\n{triples_block(t)}\n}}" for g, t in inserts if t]
    insert = "INSERT {\n" + "\n".join(blocks) + "\n} WHERE {}"
    return f"{removals} ;\n{insert}" if removals else insert
