"""SPARQL 1.1 result formats (JSON, XML, CSV, TSV) and graph formats, from rdflib terms."""

from __future__ import annotations

import csv
import io
import json
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Literal, URIRef
from rdflib.term import Identifier

from kg.errors import NotAcceptable
from kg.store.answers import GRAPH_FORMATS, RESULT_FORMATS, QueryResult, SerializedResult
from kg.store.sparql_text import term_n3

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"


def _json_term(term: Identifier) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    out = {"type": "literal", "value": str(term)}
    if term.language:
        out["xml:lang"] = term.language
    elif term.datatype is not None and str(term.datatype) != XSD_STRING:
        out["datatype"] = str(term.datatype)
    return out


def _xml_term(term: Identifier) -> str:
    if isinstance(term, URIRef):
        return f"<uri>{escape(str(term))}</uri>"
    if isinstance(term, BNode):
        return f"<bnode>{escape(str(term))}</bnode>"
    assert isinstance(term, Literal)
    if term.language:
        return f"<literal xml:lang={quoteattr(term.language)}>{escape(str(term))}</literal>"
    if term.datatype is not None and str(term.datatype) != XSD_STRING:
        return f"<literal datatype={quoteattr(str(term.datatype))}>{escape(str(term))}</literal>"
    return f"<literal>{escape(str(term))}</literal>"


def _csv_value(term: Identifier | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return str(term)


def _tsv_value(term: Identifier | None) -> str:
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return term_n3(term).replace("\t", "\\t")


def results_json(result: QueryResult) -> bytes:
    if result.kind == "ASK":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)}).encode()
    bindings = [
        {v: _json_term(t) for v, t in zip(result.variables, row, strict=True) if t is not None}
        for row in result.rows
    ]
    doc = {"head": {"vars": result.variables}, "results": {"bindings": bindings}}
    return json.dumps(doc, ensure_ascii=False).encode()


def results_xml(result: QueryResult) -> bytes:
    parts = ['<?xml version="1.0"?>\n<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    parts.append("<head>" + "".join(f"<variable name={quoteattr(v)}/>"
                                    for v in result.variables) + "</head>")
    if result.kind == "ASK":
        parts.append(f"<boolean>{'true' if result.boolean else 'false'}</boolean>")
    else:
        parts.append("<results>")
        for row in result.rows:
            parts.append("<result>" + "".join(
                f"<binding name={quoteattr(v)}>{_xml_term(t)}</binding>"
                for v, t in zip(result.variables, row, strict=True) if t is not None
            ) + "</result>")
        parts.append("</results>")
    parts.append("</sparql>")
    return "\n".join(parts).encode()


def results_csv(result: QueryResult) -> bytes:
    if result.kind == "ASK":
        return f"_askResult\r\n{'true' if result.boolean else 'false'}\r\n".encode()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([_csv_value(t) for t in row])
    return buffer.getvalue().encode()


def results_tsv(result: QueryResult) -> bytes:
    if result.kind == "ASK":
        return f"?_askResult\n{'true' if result.boolean else 'false'}\n".encode()
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join(_tsv_value(t) for t in row) for row in result.rows]
    return ("\n".join(lines) + "\n").encode()


def rows_at_most(body: bytes, fmt: str) -> int:
    """An upper bound of the rows in a serialised SELECT answer, exact unless a value
    contains the format's row marker (then ``rows_exactly`` decides)."""
    if fmt == "json":  # rows = objects not directly under a key, minus the outer one
        return body.count(b"{") - body.count(b":{") - 1
    if fmt == "xml":
        return body.count(b"<result>")
    return body.count(b"\n") - 1  # tsv escapes newlines; csv may quote them


def rows_exactly(body: bytes, fmt: str) -> int:
    if fmt == "json":
        plain = body.replace(b"\\\\", b"").replace(b'\\"', b"")
        outside = b"".join(plain.split(b'"')[0::2])  # drop the strings' content
        return outside.count(b"{") - outside.count(b":{") - 1
    if fmt == "csv":
        return b"".join(body.split(b'"')[0::2]).count(b"\n") - 1
    return rows_at_most(body, fmt)


_WRITERS = {"json": results_json, "xml": results_xml, "csv": results_csv, "tsv": results_tsv}


def serialize_result(result: QueryResult, media_type: str) -> SerializedResult:
    """Serialise a QueryResult as ``media_type`` (NotAcceptable when it does not fit)."""
    if result.kind in ("SELECT", "ASK"):
        fmt = RESULT_FORMATS.get(media_type)
        if fmt is None:
            raise NotAcceptable(f"{media_type} is not a SPARQL results format")
        return SerializedResult(media_type, _WRITERS[fmt](result))
    fmt = GRAPH_FORMATS.get(media_type)
    if fmt is None:
        raise NotAcceptable(f"{media_type} is not an RDF graph format")
    assert result.graph is not None
    if fmt == "json-ld":
        body = result.graph.serialize(format="json-ld", auto_compact=True)
    else:
        body = result.graph.serialize(format=fmt)
    return SerializedResult(media_type, body.encode() if isinstance(body, str) else body)
