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

from kg.errors import QuerySyntaxError, ServiceNotAllowed
from kg.namespaces import META_GRAPH
from kg.settings import Settings
from kg.store import QueryResult, SerializedResult, Store
from kg.store.sparql_text import blank_opaque

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


@dataclass
class QueryService:
    """Runs queries on a store under the node's settings."""

    store: Store
    settings: Settings

    def _prepare(self, sparql: str) -> str:
        form = query_form(sparql)
        if form == "UPDATE":
            raise QuerySyntaxError("this is an update request; send it as "
                                   "application/sparql-update with a token")
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
            named_graphs=named_graphs)

    def update(self, sparql_update: str, agent: str = "admin") -> None:
        """Run an update and, in the same request (one transaction), rewrite the provenance
        record of every named graph it names: author, time, triple count — or a tombstone
        when the graph is gone."""
        check_services(sparql_update, self.settings.service_allow)
        for source in service_endpoints(sparql_update, keyword="LOAD"):
            # LOAD makes the engine fetch a URL: never from a request (use `dskg load`).
            raise ServiceNotAllowed(f"LOAD <{source}> would fetch from the network and is "
                                    "refused; load files with `dskg load`; no request was "
                                    "made", endpoint=source)
        from kg.writepath import update_provenance

        graphs = [URIRef(g) for g in updated_graphs(sparql_update) if g != META_GRAPH]
        records = update_provenance(graphs, agent)
        request = f"{_without_final_semicolon(sparql_update)}\n;\n{records}" if records \
            else sparql_update
        self.store.update(request, timeout=self.settings.query_timeout)
