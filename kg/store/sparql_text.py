"""Building SPARQL text from rdflib terms with proper escaping (never string pasting)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier, Node

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*$")
# Strings, IRIs and comments: a brace or WHERE inside them is not syntax.
_OPAQUE = re.compile(
    r'"""(?:[^"\\]|\\.|"(?!""))*"""'
    r"|'''(?:[^'\\]|\\.|'(?!''))*'''"
    r'|"(?:[^"\\\n]|\\.)*"'
    r"|'(?:[^'\\\n]|\\.)*'"
    r"|<[^<>\"{}|^`\\\s]*>"
    r"|#[^\n]*"
)


def term_n3(term: Node) -> str:
    """A term in SPARQL/N-Triples syntax."""
    if isinstance(term, URIRef):
        value = str(term)
        if any(c in value for c in '<>"{}|^`\\ \n\r\t'):
            raise ValueError(f"IRI contains characters not allowed in SPARQL: {value!r}")
        return f"<{value}>"
    if isinstance(term, BNode):
        label = re.sub(r"[^A-Za-z0-9_]", "_", str(term))
        return f"_:b{label}"
    if isinstance(term, Literal):
        return term.n3()
    raise TypeError(f"cannot write term {term!r}")


def predicate_filter(predicates: Iterable[Node], variable: str = "p") -> str:
    """``FILTER(?p IN (...))`` for a fixed set of predicates.

    Use it instead of ``VALUES ?p {...}`` next to bound subjects: with the predicate bound
    the engine (Oxigraph) scans each predicate's index through the whole store, with it
    filtered it reads only the bound subjects' triples (60 ms vs 0.3 ms for ten subjects at
    10k datasets)."""
    listed = ", ".join(sorted(term_n3(p) for p in predicates))
    return f"FILTER(?{variable} IN ({listed}))"


def triples_block(triples: Iterable[tuple[Node, Node, Node]]) -> str:
    return "\n".join(f"{term_n3(s)} {term_n3(p)} {term_n3(o)} ." for s, p, o in triples)


def terms_n3(terms: Iterable[Node]) -> str:
    """The terms escaped, one space apart: the inside of a VALUES block, for query templates
    that hold ``VALUES ?x { %s }`` themselves (``values_list`` writes the whole block)."""
    return " ".join(term_n3(t) for t in terms)


def values_list(variable: str, terms: Iterable[Node]) -> str:
    """``VALUES ?x { <a> <b> }``: one variable ranging over ``terms`` (escaped, name checked);
    no terms give an empty block, which matches nothing."""
    if not _NAME.match(variable):
        raise ValueError(f"not a SPARQL variable name: {variable!r}")
    return f"VALUES ?{variable} {{ {terms_n3(terms)} }}"


def values_block(bindings: Mapping[str, Identifier]) -> str:
    """``VALUES (?a ?b) { (<x> "y") }`` for the bindings (terms escaped, names checked)."""
    for name in bindings:
        if not _NAME.match(name):
            raise ValueError(f"not a SPARQL variable name: {name!r}")
    names = " ".join(f"?{name}" for name in bindings)
    values = terms_n3(bindings.values())
    return f"VALUES ({names}) {{ ({values}) }}"


def blank_opaque(sparql: str) -> str:
    """The query with strings, IRIs and comments blanked out (same length)."""
    return _OPAQUE.sub(lambda m: " " * len(m.group(0)), sparql)


def bind_variables(sparql: str, bindings: Mapping[str, Identifier] | None) -> str:
    """Pre-bind variables by putting a VALUES block first in the WHERE group.

    Placed at the start of the query pattern (not as a trailing VALUES, which SPARQL joins
    after aggregation), so engines use it to bind before they evaluate the pattern.
    """
    if not bindings:
        return sparql
    text = blank_opaque(sparql)
    where = re.search(r"\bWHERE\s*\{", text, re.IGNORECASE)
    if where:
        brace = where.end() - 1
    else:
        form = re.search(r"\b(SELECT|ASK|DESCRIBE)\b", text, re.IGNORECASE)
        brace = text.find("{", form.end() if form else 0)
    if brace < 0:
        raise ValueError("cannot bind variables: the query has no WHERE group")
    return sparql[: brace + 1] + " " + values_block(bindings) + " " + sparql[brace + 1:]


def replace_graphs_update(graphs: Mapping[URIRef, Iterable[tuple[Node, Node, Node]]],
                          drop: Iterable[URIRef],
                          add: Mapping[URIRef, Iterable[tuple[Node, Node, Node]]] | None,
                          remove_subjects: Mapping[URIRef, Iterable[URIRef]] | None) -> str:
    """One SPARQL Update request doing what ``Store.replace_graphs`` promises.

    Engines apply one update request as one transaction, which is what makes it atomic.
    """
    operations = [f"DROP SILENT GRAPH {term_n3(g)}" for g in [*drop, *graphs]]
    for graph, subjects in (remove_subjects or {}).items():
        listed = list(subjects)
        if listed:
            operations.append(
                f"DELETE {{ GRAPH {term_n3(graph)} {{ ?s ?p ?o }} }} WHERE {{ "
                f"{values_list('s', listed)} GRAPH {term_n3(graph)} {{ ?s ?p ?o }} }}"
            )
    blocks = []
    for name, triples in [*graphs.items(), *(add or {}).items()]:
        body = triples_block(triples)
        if body:
            blocks.append(f"GRAPH {term_n3(name)} {{\n{body}\n}}")
    if blocks:
        operations.append("INSERT DATA {\n" + "\n".join(blocks) + "\n}")
    return " ;\n".join(operations)
