"""A remote SPARQL 1.1 engine as the store (Query, Update and Graph Store protocols).

Works with any engine that speaks the protocols: ``oxigraph serve``, Virtuoso, Fuseki,
GraphDB. Every request goes through one httpx client, which carries the engine's
credentials when it needs them (``EngineAuth``: HTTP Basic or Digest, whichever the
engine's challenge asks for, or a bearer token). The engine must answer queries over the
union of its named graphs (see the README for how to configure each engine); we never rely
on its default graph for data. Writes bigger than one request the engine accepts are split
and journaled (``kg.store.chunked``).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Generator, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import httpx
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Identifier
from SPARQLWrapper import SPARQLWrapper

from kg.errors import (
    ConfigError,
    QuerySyntaxError,
    QueryTimeout,
    ResultTooLarge,
    StoreUnavailable,
)
from kg.store.answers import RESULT_FORMATS, QueryResult, SerializedResult
from kg.store.base import Store, Triple, touched_by
from kg.store.chunked import (
    DEFAULT_CHUNK,
    MAX_OPERATIONS,
    ChunkedWrite,
    insert_operations,
    insert_requests,
    size_of,
    split_blank,
)
from kg.store.parsing import graph_bodies
from kg.store.results import rows_at_most, rows_exactly
from kg.store.sparql_text import (
    bind_variables,
    replace_graphs_update,
    term_n3,
)

#: Times a request the engine rolled back in a deadlock is sent again.
DEADLOCK_RETRIES = 6
#: Seconds a request may take when the caller sets no timeout (updates, bulk loads).
DEFAULT_TIMEOUT = 300.0


@dataclass(frozen=True)
class EngineCredentials:
    """How the node proves itself to the engine. Never printed: ``repr`` hides the secrets."""

    user: str | None = None
    password: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    #: The settings that gave them, named in errors (never their values).
    source: str = "DSKG_STORE_USER / DSKG_STORE_PASSWORD"

    def __bool__(self) -> bool:
        return bool(self.user or self.token)


#: Engine errors after which a request is sent again (see ``RemoteStore._post``).
_RETRIED = ("40001", "SR197")
#: Graph Store POSTs under way at once in a bulk import (DSKG_STORE_GSP_WORKERS).
GSP_WORKERS = 4
#: Fewer POSTs than this per worker are sent one after the other.
GSP_POSTS_PER_WORKER = 16


class EngineAuth(httpx.Auth):
    """HTTP Basic or Digest, chosen from the engine's first ``WWW-Authenticate`` challenge
    (Virtuoso's ``/sparql-auth`` asks for Digest, Fuseki for Basic), then kept."""

    requires_request_body = True

    def __init__(self, user: str, password: str) -> None:
        self._basic = httpx.BasicAuth(user, password)
        self._digest = httpx.DigestAuth(user, password)
        self._chosen: httpx.Auth | None = None

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        if self._chosen is not None:
            yield from self._chosen.auth_flow(request)
            return
        response = yield request
        if response.status_code != 401:
            return
        schemes = {value.split(" ", 1)[0].strip().lower()
                   for value in response.headers.get_list("www-authenticate")}
        if "digest" in schemes:
            self._chosen = self._digest
        elif "basic" in schemes:
            self._chosen = self._basic
        else:
            return
        yield from self._chosen.auth_flow(request)


def redact(url: str) -> str:
    """``url`` without a user or password written into it (for messages and /health)."""
    return re.sub(r"^(https?://)[^/@]*@", r"\1", url)


def _term(binding: dict[str, str]) -> Identifier:
    kind = binding["type"]
    value = binding["value"]
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        # Virtuoso labels blank nodes "nodeID://b10006": keep them usable as labels
        # elsewhere (N-Triples, Oxigraph), the same label for the same node.
        return BNode(re.sub(r"[^A-Za-z0-9_]", "_", value))
    lang = binding.get("xml:lang")
    datatype = binding.get("datatype")
    return Literal(value, lang=lang, datatype=URIRef(datatype) if datatype else None)


class RemoteStore(Store):
    """SPARQL 1.1 endpoint(s). ``update_url`` and ``gsp_url`` default to ``query_url``."""

    shared_with_other_writers = True
    #: Split and journaled by the write path's bulk load too (kg.write.bulk).
    bulk_import_is_atomic = False
    max_update_operations = MAX_OPERATIONS

    def __init__(self, query_url: str, update_url: str | None = None,
                 gsp_url: str | None = None, *, union_graph_clause: bool = True,
                 credentials: EngineCredentials | None = None,
                 chunk: int = DEFAULT_CHUNK, gsp_workers: int = GSP_WORKERS) -> None:
        super().__init__()
        self.query_url = query_url
        self.update_url = update_url or query_url
        self.gsp_url = gsp_url
        self.kind = f"remote SPARQL ({redact(query_url)})"
        # Engines differ on the union default graph; we make it explicit in our own
        # queries by wrapping patterns in GRAPH ?g where that matters (see _union).
        self.union_graph_clause = union_graph_clause
        self.chunk = chunk
        self.gsp_workers = gsp_workers
        self.credentials = credentials or EngineCredentials()
        self._http = self._client()

    def _client(self) -> httpx.Client:
        """An HTTP client with the credentials (one per thread that posts: a Digest
        session counts its requests, which threads must not share)."""
        auth = None
        headers = {}
        if self.credentials.user:
            auth = EngineAuth(self.credentials.user, self.credentials.password or "")
        if self.credentials.token:
            headers["Authorization"] = f"Bearer {self.credentials.token}"
        return httpx.Client(timeout=DEFAULT_TIMEOUT, auth=auth, headers=headers)

    # -- plumbing ------------------------------------------------------------------------
    def _post(self, url: str, *, timeout: float | None = None,
              client: httpx.Client | None = None, **kwargs: Any) -> httpx.Response:
        """One request to the engine, its failures turned into our errors (which never
        carry the credentials: only the variables that hold them are named)."""
        wait = DEFAULT_TIMEOUT if timeout is None else timeout + 1.0
        for attempt in range(DEADLOCK_RETRIES + 1):
            try:
                response = (client or self._http).post(url, timeout=wait, **kwargs)
            except httpx.TimeoutException as exc:
                raise QueryTimeout("the engine did not answer in time") from exc
            except httpx.HTTPError as exc:
                raise StoreUnavailable(f"SPARQL engine unreachable at {redact(url)}: "
                                       f"{type(exc).__name__}") from None
            # Virtuoso rolls back one side of a deadlock (a read beside a bulk load, two
            # writers) with SQL state 40001, and a write that raced another to add the same
            # new language tag or datatype with SR197: the request had no effect, so run it
            # again.
            if response.status_code != 500 or attempt == DEADLOCK_RETRIES or not any(
                    code in response.text[:600] for code in _RETRIED):
                break
            time.sleep(0.1 * 2 ** attempt)
        self._check(response, url)
        return response

    def _check(self, response: httpx.Response, url: str) -> None:
        status = response.status_code
        if status < 400:
            return
        if status in (401, 403):
            given = self.credentials.source if self.credentials.user else (
                "DSKG_STORE_TOKEN" if self.credentials.token else None)
            reason = (f"the engine refused the credentials of {given}" if given else
                      "the engine requires credentials: set DSKG_STORE_USER and "
                      "DSKG_STORE_PASSWORD (or DSKG_STORE_PASSWORD_FILE), or DSKG_STORE_TOKEN")
            raise StoreUnavailable(f"{reason} (HTTP {status} from {redact(url)})")
        text = response.text.strip().replace("\n", " ")
        # Virtuoso echoes the whole request after its message (the data of a write, too):
        # the message is what names the problem ("Invalid integer value converting 'abc'").
        text = text.split(" SPARQL query:", 1)[0].strip()[:400]
        if status == 400:
            raise QuerySyntaxError(f"the engine rejected the request: {text}")
        raise StoreUnavailable(f"SPARQL engine error: HTTP {status}: {text}")

    def check_access(self) -> None:
        """Raise ConfigError when the engine refuses us (run once at start): the operator
        reads which setting to fix instead of a stack trace at the first query."""
        try:
            self.query("ASK { }")
        except StoreUnavailable as exc:
            if "credentials" in exc.message:
                raise ConfigError(exc.message) from None
            raise

    def send(self, request: str, timeout: float | None = None) -> None:
        """Run one SPARQL Update request as it is (no change events: the caller tells)."""
        self._post(self.update_url, timeout=timeout, data={"update": request})

    # -- reads ---------------------------------------------------------------------------
    def query(self, sparql: str, bindings: Mapping[str, Identifier] | None = None, *,
              timeout: float | None = None, limit: int | None = None,
              default_graphs: Sequence[URIRef] | None = None,
              named_graphs: Sequence[URIRef] | None = None) -> QueryResult:
        text = bind_variables(sparql, bindings)
        form: dict[str, Any] = {"query": text}
        if default_graphs:
            form["default-graph-uri"] = [str(g) for g in default_graphs]
        if named_graphs:
            form["named-graph-uri"] = [str(g) for g in named_graphs]
        kind = _query_kind(text)
        if kind in ("CONSTRUCT", "DESCRIBE"):
            response = self._post(self.query_url, timeout=timeout, data=form, headers={
                "Accept": "application/n-triples, text/turtle;q=0.9"})
            content_type = response.headers.get("Content-Type", "text/turtle")
            graph = Graph()
            graph.parse(data=response.content,
                        format="nt" if "n-triples" in content_type else "turtle")
            if limit is not None and len(graph) > limit:
                raise ResultTooLarge(f"the query returns more than {limit} triples")
            return QueryResult(kind="CONSTRUCT", graph=graph)
        response = self._post(self.query_url, timeout=timeout, data=form,
                              headers={"Accept": "application/sparql-results+json"})
        doc = response.json()
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
        if fmt is None or media_type == "text/csv":
            # CSV is written here: engines differ on quoting (Virtuoso quotes every field,
            # SPARQL's CSV quotes only where needed), and scripts compare the text.
            return super().query_serialized(sparql, media_type, **options)
        params: list[tuple[str, str | int | float | bool | None]] = [
            ("default-graph-uri", str(g)) for g in default_graphs or ()]
        params += [("named-graph-uri", str(g)) for g in named_graphs or ()]
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
            try:
                response = self._http.get(self.gsp_url, params={"graph": str(name)},
                                          headers={"Accept": "application/n-triples"})
            except httpx.HTTPError as exc:
                raise StoreUnavailable(f"SPARQL engine unreachable at {redact(self.gsp_url)}: "
                                       f"{type(exc).__name__}") from None
            if response.status_code == 404:
                return Graph(identifier=name)
            self._check(response, self.gsp_url)
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

    def existing(self, names: Sequence[URIRef]) -> set[URIRef]:
        """Which of ``names`` the engine holds."""
        if len(names) <= 50:
            return {n for n in names if self.has_graph(n)}
        return set(self.graph_names()) & set(names)

    def triple_count(self, graph: URIRef | None = None) -> int:
        scope = term_n3(graph) if graph is not None else "?g"
        result = self.query(f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH {scope} {{ ?s ?p ?o }} }}")
        count = result.rows[0][0] if result.rows else None
        return int(count) if count is not None else 0

    # -- writes --------------------------------------------------------------------------
    def replace_graphs(self, graphs: Mapping[URIRef, Iterable[Triple]], *,
                       drop: Iterable[URIRef] = (),
                       add: Mapping[URIRef, Iterable[Triple]] | None = None,
                       remove_subjects: Mapping[URIRef, Iterable[URIRef]] | None = None) -> None:
        replaced = {g: list(t) for g, t in graphs.items()}
        added = {g: list(t) for g, t in (add or {}).items()}
        drop = list(drop)
        removals = {g: list(s) for g, s in (remove_subjects or {}).items()}
        touched = touched_by(replaced, drop, added, removals)
        operations = len(drop) + len(replaced) + len(removals)
        try:
            if size_of(replaced) + size_of(added) <= self.chunk and \
                    operations < MAX_OPERATIONS and all(len(s) <= 500 for s in removals.values()):
                request = _replace_request(replaced, drop, added, removals)
                if request:
                    self.send(request)
            else:  # too big for one request: split and journaled
                ChunkedWrite(self, self.chunk).run(replaced, drop, added, removals)
        finally:
            # Also after a failure: an engine without transactions may have applied part.
            self.changed(touched)

    def update(self, sparql_update: str, *, timeout: float | None = None,
               touched: Iterable[URIRef] | None = None) -> None:
        try:
            self.send(sparql_update, timeout)
        finally:
            # Also after a failure: an engine without transactions (Virtuoso's default) may
            # have applied part of the request.
            self.changed(touched)

    def clear(self) -> None:
        self.update("CLEAR ALL")
        remaining = self.graph_names()
        # Virtuoso ignores CLEAR ALL; drop the graphs we see (never its hidden system graphs).
        for start in range(0, len(remaining), MAX_OPERATIONS):
            self.update(" ;\n".join(f"DROP SILENT GRAPH {term_n3(g)}"
                                    for g in remaining[start:start + MAX_OPERATIONS]))

    # -- bulk ----------------------------------------------------------------------------
    def export(self, out: BinaryIO, format: str = "nquads") -> None:
        from kg.store.parsing import serialize_quads

        result = self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        # The engine's N-Quads writer: SPARQL's term syntax would put a literal holding a
        # line break in triple quotes, which N-Quads does not have.
        data = serialize_quads(result.rows)  # type: ignore[arg-type]
        if format == "trig":  # N-Quads lines are no TriG: the engine's writer regroups them
            import pyoxigraph as ox

            data = ox.serialize(ox.parse(data, format=ox.RdfFormat.N_QUADS),
                                format=ox.RdfFormat.TRIG) or b""
        out.write(data)

    @staticmethod
    def _grouped(data: BinaryIO | bytes, format: str, base_iri: str | None,
                 to_graph: URIRef | None = None) -> dict[URIRef, list[Triple]]:
        from kg.store.parsing import parse_quads

        raw = data if isinstance(data, bytes) else data.read()
        graphs: dict[URIRef, list[Triple]] = {}
        for s, p, o, g in parse_quads(raw, format, base_iri):
            name = to_graph if to_graph is not None else g
            if name is not None:
                graphs.setdefault(name, []).append((s, p, o))
        return graphs

    def import_quads(self, data: BinaryIO | bytes, format: str = "nquads", *,
                     base_iri: str | None = None, to_graph: URIRef | None = None) -> None:
        """All or nothing: one request, or a journaled chunked write when bigger."""
        graphs = self._grouped(data, format, base_iri, to_graph)
        if graphs:
            self.replace_graphs({}, add=graphs)

    def bulk_import(self, data: bytes, format: str = "nquads", *,
                    base_iri: str | None = None) -> None:
        """The fastest standard route, not atomic (the write path journals it): one Graph
        Store Protocol POST per graph when a Graph Store endpoint is configured (Virtuoso's
        ``/sparql-graph-crud-auth`` loads them with its Turtle loader, twice as fast as
        INSERT DATA), else ``INSERT DATA`` requests of ``chunk`` triples. The POSTs go
        ``gsp_workers`` at a time: a dump's descriptions are thousands of small graphs,
        each POST mostly the engine's per-request work, which its threads do side by side."""
        try:
            if self.gsp_url:
                posts = [(name, part) for name, body in graph_bodies(data, format, base_iri
                                                                     ).items()
                         for part in _gsp_parts(body)]
                self._gsp_posts(self.gsp_url, posts)
                return
            for request in insert_requests(self._grouped(data, format, base_iri), self.chunk):
                self.send(request)
        finally:
            self.changed(None)

    def _gsp_posts(self, url: str, posts: list[tuple[str, bytes]]) -> None:
        """POST each (graph, N-Triples body); the first failure stops the rest and is
        raised (the write path's journal undoes what went in)."""
        headers = {"Content-Type": "application/n-triples"}
        workers = max(1, min(self.gsp_workers, len(posts) // GSP_POSTS_PER_WORKER))
        if workers == 1:
            for name, part in posts:
                self._post(url, params={"graph": name}, content=part, headers=headers)
            return
        # The first POSTs go one by one: they add the language tags and datatypes most
        # others use, which Virtuoso cannot add from two transactions at once.
        for name, part in posts[:GSP_POSTS_PER_WORKER]:
            self._post(url, params={"graph": name}, content=part, headers=headers)
        posts = posts[GSP_POSTS_PER_WORKER:]
        local = threading.local()
        clients: list[httpx.Client] = []
        failed = threading.Event()

        def post(item: tuple[str, bytes]) -> None:
            if failed.is_set():
                return
            client = getattr(local, "client", None)
            if client is None:
                client = local.client = self._client()
                clients.append(client)
            try:
                self._post(url, params={"graph": item[0]}, content=item[1], headers=headers,
                           client=client)
            except BaseException:
                failed.set()
                raise

        try:
            with ThreadPoolExecutor(workers, thread_name_prefix="dskg-gsp") as pool:
                for _done in pool.map(post, posts):
                    pass
        finally:
            for client in clients:
                client.close()

    def close(self) -> None:
        self._http.close()


#: Triples per Graph Store POST of one big graph (the provenance records of a 10k-dataset
#: load, 150k triples in one POST, took Virtuoso more than DEFAULT_TIMEOUT).
GSP_POST_TRIPLES = 20_000


def _gsp_parts(body: bytes) -> list[bytes]:
    """A graph's N-Triples body in POSTs of at most GSP_POST_TRIPLES lines (POST adds to the
    graph). A body with blank nodes stays whole: each request has blank nodes of its own."""
    lines = body.splitlines(keepends=True)
    if len(lines) <= GSP_POST_TRIPLES or b"_:" in body:
        return [body]
    return [b"".join(lines[i:i + GSP_POST_TRIPLES])
            for i in range(0, len(lines), GSP_POST_TRIPLES)]


def _query_kind(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT or DESCRIBE (SPARQLWrapper's parser skips prologue and
    comments)."""
    wrapper = SPARQLWrapper("http://127.0.0.1/")
    wrapper.setQuery(sparql)
    return str(wrapper.queryType)


def _replace_request(graphs: Mapping[URIRef, Iterable[Triple]], drop: Iterable[URIRef],
                     add: Mapping[URIRef, Iterable[Triple]] | None,
                     remove_subjects: Mapping[URIRef, Iterable[URIRef]] | None) -> str:
    """``replace_graphs_update``, except that triples with blank nodes are inserted with
    ``INSERT { ... } WHERE {}``, one graph per operation: Virtuoso refuses blank nodes in
    INSERT DATA, and the template form is standard SPARQL 1.1 with the same meaning (fresh
    blank nodes)."""
    merged: dict[URIRef, list[Triple]] = {}
    for name, triples in [*graphs.items(), *(add or {}).items()]:
        merged.setdefault(name, []).extend(triples)
    ground, blank = split_blank(merged)
    removals = replace_graphs_update({}, [*drop, *graphs], None, remove_subjects)
    return " ;\n".join([*([removals] if removals else []), *insert_operations(ground, blank)])
