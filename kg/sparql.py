"""The SPARQL service: what /sparql and `dskg query` run, with the node's rules applied.

The rules: SERVICE only to allow-listed endpoints (checked before anything runs, so no
outbound request is ever made for a refused one), a timeout and a result cap from settings.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass

from rdflib import URIRef

from kg.errors import BadRequest, Forbidden, QuerySyntaxError, ServiceNotAllowed
from kg.namespaces import META_GRAPH
from kg.settings import Settings
from kg.store import QueryResult, SerializedResult, Store
from kg.store.sparql_text import blank_opaque
from kg.write import update_provenance

# Tokens that can contain the word SERVICE without being the keyword.
_SKIP = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*",
)
_WORD = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*(?::[A-Za-z0-9_\-.]*)?|\?\w+|\$\w+|<[^>]*>")
_FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")
_UPDATE_WORDS = {"INSERT", "DELETE", "LOAD", "CLEAR", "CREATE", "DROP", "COPY", "MOVE", "ADD",
                 "WITH"}


def _tokens(sparql: str) -> list[str]:
    """Words, variables and IRIs of a query, with strings and comments removed."""
    out: list[str] = []
    pos = 0
    for match in _SKIP.finditer(sparql):
        out += _WORD.findall(sparql[pos:match.start()])
        token = match.group(0)
        if token.startswith("<"):
            out.append(token)
        pos = match.end()
    out += _WORD.findall(sparql[pos:])
    return out


def query_form(sparql: str) -> str:
    """SELECT, ASK, CONSTRUCT, DESCRIBE — or UPDATE for an update request."""
    for token in _tokens(sparql):
        upper = token.upper()
        if upper in _FORMS:
            return upper
        if upper in _UPDATE_WORDS:
            return "UPDATE"
    raise QuerySyntaxError("not a SPARQL query: no SELECT, ASK, CONSTRUCT or DESCRIBE found")


def _declared_prefixes(tokens: list[str], prefixes: dict[str, str] | None) -> dict[str, str]:
    declared = dict(prefixes or {})
    for i, token in enumerate(tokens[:-2]):
        if token.upper() == "PREFIX" and tokens[i + 2].startswith("<"):
            declared[tokens[i + 1].rstrip(":")] = tokens[i + 2][1:-1]
    return declared


def _resolve(target: str, declared: dict[str, str]) -> str:
    if target.startswith("<"):
        return target[1:-1]
    if ":" in target and not target.startswith(("?", "$")):
        prefix, local = target.split(":", 1)
        return declared.get(prefix, prefix + ":") + local
    return target


def service_endpoints(sparql: str, prefixes: dict[str, str] | None = None,
                      keyword: str = "SERVICE") -> list[str]:
    """The endpoints a query calls with SERVICE (or the sources an update fetches with
    ``keyword="LOAD"``); a variable endpoint is returned as is."""
    tokens = _tokens(sparql)
    declared = _declared_prefixes(tokens, prefixes)
    found = []
    for i, token in enumerate(tokens):
        if token.upper() != keyword:
            continue
        j = i + 1
        if j < len(tokens) and tokens[j].upper() == "SILENT":
            j += 1
        if j >= len(tokens):
            raise QuerySyntaxError(f"{keyword} without an IRI")
        found.append(_resolve(tokens[j], declared))
    return found


#: Words after which an update names a graph it may change.
_GRAPH_WORDS = {"GRAPH", "WITH", "INTO", "TO", "MOVE", "COPY", "ADD", "CLEAR", "DROP", "CREATE",
                "SILENT"}


def updated_graphs(sparql_update: str) -> list[str]:
    """The named graphs an update request names as targets (read lexically)."""
    tokens = _tokens(sparql_update)
    declared = _declared_prefixes(tokens, None)
    found: list[str] = []
    for previous, token in itertools.pairwise(tokens):
        if previous.upper() in _GRAPH_WORDS and (token.startswith("<") or (
                ":" in token and not token.startswith(("?", "$")))):
            iri = _resolve(token, declared)
            if iri not in found:
                found.append(iri)
    return found


def check_services(sparql: str, allowed: Sequence[str]) -> None:
    """Refuse SERVICE calls to anything but the allow-listed endpoints."""
    allow = {a.rstrip("/") for a in allowed}
    for endpoint in service_endpoints(sparql):
        if endpoint.rstrip("/") not in allow:
            listed = ", ".join(sorted(allow)) or "none configured"
            raise ServiceNotAllowed(
                f"SERVICE <{endpoint}> is not an allowed endpoint (allowed: {listed}); "
                "no request was made",
                endpoint=endpoint,
            )


def _without_final_semicolon(sparql_update: str) -> str:
    """An update with a trailing ';' (allowed alone) must lose it before we append more."""
    blanked = blank_opaque(sparql_update).rstrip()
    if blanked.endswith(";"):
        return sparql_update[: len(blanked) - 1]
    return sparql_update


#: Refused like a Graph Store write to it (api/routes/graphs.py, kg/services/graphstore.py).
META_REFUSAL = "the provenance graph is written by the node itself, with every write"
_ALL_GRAPHS = re.compile(r"\b(CLEAR|DROP)(\s+SILENT)?\s+(ALL|NAMED)\b", re.IGNORECASE)
_TEMPLATE = re.compile(r"\b(?:INSERT|DELETE)\b(?:\s+(?:DATA|WHERE))?\s*\{", re.IGNORECASE)


_WHERE = re.compile(r"\bWHERE\b", re.IGNORECASE)


def _group_end(blanked: str, brace: int) -> int:
    """The position of the brace closing the group opened at ``brace``."""
    depth = 0
    for i in range(brace, len(blanked)):
        depth += {"{": 1, "}": -1}.get(blanked[i], 0)
        if depth == 0:
            return i
    return len(blanked) - 1


def _graph_variables(blanked: str) -> set[str]:
    """Variables naming the GRAPH of a DELETE/INSERT template (or a DELETE WHERE)."""
    found: set[str] = set()
    for match in _TEMPLATE.finditer(blanked):
        body = blanked[match.end():_group_end(blanked, match.end() - 1)]
        found |= {m.group(1) for m in re.finditer(r"\bGRAPH\s+[?$](\w+)", body, re.I)}
    return found


def _check_meta(blanked: str, sparql_update: str) -> None:
    """Refuse an update that names the meta graph (read lexically, prefixes resolved)."""
    if META_GRAPH in updated_graphs(sparql_update) or f"<{META_GRAPH}>" in sparql_update:
        raise Forbidden(f"{META_REFUSAL}; SPARQL Update may not change <{META_GRAPH}>")


def guard_variable_graphs(sparql_update: str) -> str:
    """A template writing to ``GRAPH ?g`` could bind ?g to the meta graph: every WHERE
    group that binds ?g gets ``FILTER(?g != <meta>)``, and ``DELETE WHERE { P }`` becomes
    ``DELETE { P } WHERE { P FILTER(...) }``."""
    blanked = blank_opaque(sparql_update)
    variables = _graph_variables(blanked)
    if not variables:
        return sparql_update
    edits: list[tuple[int, int, str]] = []  # (start, end, replacement)
    for match in re.finditer(r"\bWHERE\s*\{", blanked, re.IGNORECASE):
        brace = match.end() - 1
        if sum(1 if c == "{" else -1 for c in blanked[:match.start()] if c in "{}") != 0:
            continue  # a WHERE inside a pattern (a subquery)
        end = _group_end(blanked, brace)
        group = blanked[brace:end]
        bound = [v for v in sorted(variables) if re.search(rf"[?$]{v}\b", group)]
        guard = "".join(f" FILTER(?{v} != <{META_GRAPH}>)" for v in bound)
        if not guard:
            continue
        shorthand = re.search(r"\bDELETE\s*$", blanked[:match.start()], re.IGNORECASE)
        if shorthand:
            pattern = sparql_update[brace:end + 1]
            edits.append((match.start(), end + 1,
                          f"{pattern} WHERE {pattern[:-1]}{guard} }}"))
        else:
            edits.append((end, end, guard + " "))
    for start, end, text in sorted(edits, reverse=True):
        sparql_update = sparql_update[:start] + text + sparql_update[end:]
    return sparql_update


def with_using(sparql_update: str, graphs: Sequence[str], named: Sequence[str]) -> str:
    """The protocol's using-graph-uri / using-named-graph-uri as USING clauses before each
    WHERE of a DELETE/INSERT operation (SPARQL 1.1 Protocol 2.2.3); refused with WITH or
    USING in the request."""
    if not graphs and not named:
        return sparql_update
    blanked = blank_opaque(sparql_update)
    words = {t.upper() for t in _tokens(sparql_update)}
    if words & {"USING", "WITH"}:
        raise BadRequest("the request gives using-graph-uri or using-named-graph-uri and the "
                         "update has its own USING or WITH: the protocol refuses both at once")
    clause = " ".join([*(f"USING <{g}>" for g in graphs),
                       *(f"USING NAMED <{g}>" for g in named)]) + " "
    out, pos = [], 0
    depth = 0
    braces = [(m.start(), m.group(0)) for m in re.finditer(r"[{}]", blanked)]
    for match in _WHERE.finditer(blanked):
        depth = sum(1 if b == "{" else -1 for at, b in braces if at < match.start())
        before = blanked[:match.start()].rstrip()
        if depth != 0 or re.search(r"\bDELETE$", before, re.IGNORECASE):
            continue  # inside a pattern, or DELETE WHERE (no USING there)
        out.append(sparql_update[pos:match.start()] + clause)
        pos = match.start()
    return "".join(out) + sparql_update[pos:]


@dataclass
class QueryService:
    """Runs queries on a store under the node's settings."""

    store: Store
    settings: Settings

    def _prepare(self, sparql: str, form: str | None = None) -> str:
        form = form or query_form(sparql)
        if form == "UPDATE":
            raise QuerySyntaxError("this is an update request; send it as "
                                   "application/sparql-update with a token")
        if "SERVICE" in sparql.upper():
            check_services(sparql, self.settings.service_allow)
        return form

    def select(self, sparql: str, bindings: dict | None = None) -> QueryResult:
        self._prepare(sparql)
        return self.store.query(sparql, bindings, timeout=self.settings.query_timeout,
                                limit=self.settings.result_limit)

    def serialized(self, sparql: str, media_type: str,
                   default_graphs: Sequence[URIRef] | None = None,
                   named_graphs: Sequence[URIRef] | None = None) -> SerializedResult:
        self._prepare(sparql)
        return self.store.query_serialized(
            sparql, media_type, timeout=self.settings.query_timeout,
            limit=self.settings.result_limit, default_graphs=default_graphs,
            named_graphs=named_graphs, base_iri=self.settings.base_iri)

    async def serialized_async(self, sparql: str, media_type: str, *, form: str | None = None,
                               default_graphs: Sequence[URIRef] | None = None,
                               named_graphs: Sequence[URIRef] | None = None
                               ) -> SerializedResult:
        """``serialized`` for the SPARQL endpoint (relative IRIs resolve against the node's
        base IRI)."""
        self._prepare(sparql, form)
        return await self.store.query_serialized_async(
            sparql, media_type, timeout=self.settings.query_timeout,
            limit=self.settings.result_limit, default_graphs=default_graphs,
            named_graphs=named_graphs, base_iri=self.settings.base_iri)

    def _expand_all(self, sparql_update: str, blanked: str) -> tuple[str, list[URIRef]]:
        """CLEAR/DROP ALL|NAMED on every graph but the node's meta graph (one operation per
        graph, so each gets its tombstone); returns the request and those graphs."""
        if not _ALL_GRAPHS.search(blanked):
            return sparql_update, []
        graphs = [g for g in self.store.graph_names() if str(g) != META_GRAPH]
        out, pos = [], 0
        for match in _ALL_GRAPHS.finditer(blanked):
            verb, scope = match.group(1).upper(), match.group(3).upper()
            ops = [f"{verb} SILENT GRAPH <{g}>" for g in graphs]
            if scope == "ALL":
                ops.append(f"{verb} SILENT DEFAULT")
            out.append(sparql_update[pos:match.start()] + " ;\n".join(ops))
            pos = match.end()
        return "".join(out) + sparql_update[pos:], graphs

    def update(self, sparql_update: str, agent: str = "admin",
               using_graphs: Sequence[str] = (), using_named: Sequence[str] = ()) -> None:
        """Run an update and, in the same request (one transaction), rewrite the provenance
        record of every named graph it names: author, time, triple count — or a tombstone
        when the graph is gone. The meta graph is the node's own: an update that could
        change it is refused, and CLEAR/DROP ALL leave it. Relative IRIs resolve against
        the node's base IRI."""
        check_services(sparql_update, self.settings.service_allow)
        for source in service_endpoints(sparql_update, keyword="LOAD"):
            # LOAD makes the engine fetch a URL: never from a request (use `dskg load`).
            raise ServiceNotAllowed(f"LOAD <{source}> would fetch from the network and is "
                                    "refused; load files with `dskg load`; no request was "
                                    "made", endpoint=source)
        blanked = blank_opaque(sparql_update)
        _check_meta(blanked, sparql_update)
        sparql_update = guard_variable_graphs(sparql_update)
        sparql_update = with_using(sparql_update, using_graphs, using_named)
        sparql_update, cleared = self._expand_all(sparql_update, blank_opaque(sparql_update))
        named = [URIRef(g) for g in updated_graphs(sparql_update) if g != META_GRAPH]
        graphs = list(dict.fromkeys([*cleared, *named]))
        records = update_provenance(graphs, agent)
        body = _without_final_semicolon(sparql_update)
        request = f"BASE <{self.settings.base_iri}>\n{body}"
        if records:
            request = f"{request}\n;\n{records}"
        self.store.update(request, timeout=self.settings.query_timeout)
