"""JSON-LD with shipped contexts only.

Every ``@context`` URL must be one we ship (``kg/contexts/index.json``); anything else is
refused with RemoteContextRefused naming it. Nothing here ever opens a network connection.
"""

from __future__ import annotations

import json
import math
import re
import sys
from functools import cache
from importlib import resources
from typing import Any

from pyld import jsonld

from kg.errors import ParseError, PayloadTooLarge, RemoteContextRefused

#: Deepest JSON nesting we accept; deeper input is refused before any processing.
MAX_DEPTH = 64
#: Most JSON values (objects, arrays, strings, numbers) in one document, and most @context
#: entries (each URL or object, nested ones included): pyld's cost grows with both.
MAX_VALUES = 200_000
MAX_CONTEXTS = 256


#: Our own published context (the REST API's JSON-LD uses it).
DSKG_CONTEXT_URL = "https://w3id.org/dskg/context.jsonld"


@cache
def _index() -> dict[str, str]:
    text = resources.files("kg.contexts").joinpath("index.json").read_text(encoding="utf-8")
    return {DSKG_CONTEXT_URL: "dskg.jsonld", **json.loads(text)}


@cache
def shipped_context(url: str) -> Any:
    """The parsed document of a shipped context (RemoteContextRefused when not shipped)."""
    index = _index()
    name = index.get(url) or index.get(url.rstrip("/"))
    if name is None:
        raise RemoteContextRefused(
            f"the JSON-LD context {url} is not one this node ships, and remote contexts are "
            "never fetched; inline it or use a supported context",
            context=url,
        )
    text = resources.files("kg.contexts").joinpath(name).read_text(encoding="utf-8")
    return json.loads(text)


def dskg_context() -> Any:
    """Our context's ``@context`` value, embedded in every JSON-LD answer: a client then
    needs no network (nor this node) to read it. The same document is served at
    ``/context.jsonld`` for those who want to reference it."""
    return shipped_context(DSKG_CONTEXT_URL)["@context"]


def shipped_contexts() -> list[str]:
    return sorted(_index())


def document_loader(url: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
    """pyld document loader that serves shipped contexts and refuses everything else."""
    return {"contextUrl": None, "documentUrl": url, "document": shipped_context(url)}


def _check_depth(doc: Any) -> None:
    """Refuse, before any JSON-LD processing (which is slow), documents nested deeper than
    MAX_DEPTH, with more than MAX_VALUES values or naming more than MAX_CONTEXTS contexts."""
    stack = [(doc, 0)]
    values = contexts = 0
    while stack:
        value, depth = stack.pop()
        values += 1
        if depth > MAX_DEPTH:
            raise ParseError(f"JSON nesting deeper than {MAX_DEPTH} levels is refused",
                             format="json-ld")
        if values > MAX_VALUES:
            raise PayloadTooLarge(f"JSON-LD with more than {MAX_VALUES:,} JSON values is "
                                  "refused; load bigger data with `dskg load`")
        if isinstance(value, dict):
            if "@context" in value:
                found = value["@context"]
                contexts += len(found) if isinstance(found, list) else 1
                if contexts > MAX_CONTEXTS:
                    raise ParseError(f"JSON-LD naming more than {MAX_CONTEXTS} @context "
                                     "entries is refused", format="json-ld")
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


class _NotJson(ValueError):
    """A number JSON (RFC 8259) does not allow: NaN, Infinity, or one too big for a double."""


def _no_constant(name: str) -> Any:
    raise _NotJson(name)


def _finite(text: str) -> float:
    value = float(text)
    if math.isinf(value):
        raise _NotJson(text)
    return value


def position(text: str, offset: int) -> tuple[int, int]:
    """1-based line and column of ``offset`` in ``text``."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - (text.rfind("\n", 0, offset) + 1) + 1


def load_json(data: bytes | str) -> Any:
    """Parse JSON with line/column on errors and a bound on nesting. Only standard JSON:
    NaN, Infinity and numbers beyond a double's range are refused (Python accepts them)."""
    try:
        text = data.decode("utf-8") if isinstance(data, bytes) else data
    except UnicodeDecodeError as exc:
        raise ParseError(f"JSON-LD is not UTF-8: {exc.reason} at byte {exc.start}",
                         format="json-ld") from None
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors write
    limit = sys.getrecursionlimit()
    try:
        doc = json.loads(text, parse_constant=_no_constant, parse_float=_finite)
    except _NotJson as exc:
        where = re.search(r"(?<![\w.\"])" + re.escape(str(exc)) + r"(?![\w.])", text)
        line, column = position(text, where.start()) if where else (None, None)
        raise ParseError(f"{exc} is not a JSON number (JSON has no NaN or Infinity, and "
                         "numbers must fit a double)", line=line, column=column,
                         format="json-ld") from None
    except json.JSONDecodeError as exc:
        raise ParseError(f"JSON syntax error: {exc.msg}", line=exc.lineno, column=exc.colno,
                         format="json-ld") from None
    except RecursionError:
        raise ParseError(f"JSON nesting deeper than {limit} levels is refused",
                         format="json-ld") from None
    _check_depth(doc)
    return doc


ODRL = "http://www.w3.org/ns/odrl/2/"
_ODRL_POLICIES = frozenset(ODRL + name for name in (
    "Policy", "Set", "Offer", "Agreement", "Assertion", "Privacy", "Request", "Ticket"))


def _odrl_uids(expanded: Any) -> None:
    """ODRL's own context makes ``uid`` an alias of ``@id``, so a policy written as the
    ODRL specification writes it never has an odrl:uid statement: its uid is its IRI.
    Say so in RDF (policies with an IRI and no odrl:uid get odrl:uid = that IRI)."""
    stack = [expanded]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            node_id = value.get("@id")
            types = value.get("@type") or []
            if (isinstance(node_id, str) and not node_id.startswith("_:")
                    and ODRL + "uid" not in value
                    and any(t in _ODRL_POLICIES for t in types if isinstance(t, str))):
                value[ODRL + "uid"] = [{"@id": node_id}]
            stack.extend(v for k, v in value.items() if k not in ("@value", "@context"))


_XSD_DOUBLE = "http://www.w3.org/2001/XMLSchema#double"


class _Processor(jsonld.JsonLdProcessor):
    """pyld's processor, with ODRL uids added to the expanded document on the way to RDF
    (one expansion, not two)."""

    def expand(self, input_: Any, options: Any) -> Any:
        expanded = super().expand(input_, options)
        _odrl_uids(expanded)
        return expanded

    def _object_to_rdf(self, item: Any, issuer: Any, triples: Any, options: Any) -> Any:
        # pyld re-prints a *string* typed xsd:double ("1E3" as "1.0E3"); JSON-LD 1.1
        # (Object to RDF Conversion) canonicalises numbers only: a string is the lexical form.
        if isinstance(item, dict) and isinstance(item.get("@value"), str) \
                and item.get("@type") == _XSD_DOUBLE:
            return {"type": "literal", "value": item["@value"], "datatype": _XSD_DOUBLE}
        return super()._object_to_rdf(item, issuer, triples, options)


def _terms(doc: Any) -> list[str]:
    """The non-keyword keys of a JSON-LD document (outside its contexts), in order."""
    found: dict[str, None] = {}
    stack = [doc]
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(reversed(value))
        elif isinstance(value, dict):
            for key, item in value.items():
                if key == "@context" or key == "@value":
                    continue
                if not key.startswith("@"):
                    found.setdefault(key)
                stack.append(item)
    return list(found)


def _dropped(doc: Any, source: str | None) -> ParseError:
    terms = _terms(doc)
    shown = ", ".join(repr(t) for t in terms[:10]) + (" ..." if len(terms) > 10 else "")
    line = column = None
    if source is not None:
        where = re.search(r'"' + re.escape(json.dumps(terms[0])[1:-1]) + r'"\s*:', source)
        if where:
            line, column = position(source, where.start())
    return ParseError(
        f"the JSON-LD gives no RDF statement: JSON-LD expansion dropped every term ({shown}); "
        "a term needs a definition in the @context (or must be an absolute IRI) and the "
        "node it is on needs an @id that is an IRI or none", line=line, column=column,
        format="json-ld")


def to_nquads(doc: Any, base_iri: str | None = None, *, source: str | None = None) -> str:
    """Expand a JSON-LD document (already parsed) to N-Quads using shipped contexts only.

    A document with terms of which expansion kept nothing is refused, naming them
    (``source``, the JSON text, gives the position of the first one).
    """
    options: dict[str, Any] = {"format": "application/n-quads", "documentLoader": document_loader}
    if base_iri:
        options["base"] = base_iri
    try:
        nquads = str(_Processor().to_rdf(doc, options))
    except RemoteContextRefused as exc:
        raise _placed(exc, source) from None
    except jsonld.JsonLdError as exc:
        cause = _root_cause(exc)
        if isinstance(cause, RemoteContextRefused):
            raise _placed(cause, source) from None
        line, column = _locate(source, getattr(cause, "details", None))
        raise ParseError(f"invalid JSON-LD: {_describe(cause)}", line=line, column=column,
                         format="json-ld") from None
    except RecursionError:
        raise ParseError("JSON-LD too deeply nested", format="json-ld") from None
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        # pyld lets some malformed documents (e.g. an empty @context string) escape as plain
        # Python errors; they are still the input's fault.
        raise ParseError(f"invalid JSON-LD: {exc}", format="json-ld") from None
    if not nquads.strip() and _terms(doc):
        raise _dropped(doc, source)
    return nquads


def _placed(exc: RemoteContextRefused, source: str | None) -> RemoteContextRefused:
    """The refusal with the line and column where the context URL is written."""
    url = exc.extra.get("context")
    if source is not None and isinstance(url, str) and "line" not in exc.extra:
        at = source.find(json.dumps(url)[1:-1])
        if at >= 0:
            line, column = position(source, at)
            exc.extra.update(line=line, column=column)
            exc.message = f"{exc.message} (line {line}, column {column})"
            exc.args = (exc.message,)
    return exc


def _locate(source: str | None, details: Any) -> tuple[int | None, int | None]:
    """Where in the JSON text the value a JSON-LD error names is (pyld names the offending
    value or context, not its position): the first place it is written, or None."""
    if source is None or not isinstance(details, dict):
        return None, None
    value = details.get("value", details.get("context"))
    if isinstance(value, list) and value:
        value = value[0]
    if isinstance(value, dict) and value:
        key = next(iter(value))
        pattern = '"' + re.escape(json.dumps(key)[1:-1]) + r'"\s*:'
    elif isinstance(value, str | int | float | bool) or value is None:
        pattern = r":\s*\[?\s*(" + re.escape(json.dumps(value)) + r")"
    else:
        return None, None
    found = re.search(pattern, source)
    if found is None:
        return None, None
    return position(source, found.start(found.lastindex or 0))


def _root_cause(exc: BaseException) -> BaseException:
    seen = 0
    while seen < 20:
        nxt = getattr(exc, "cause", None) or exc.__cause__ or exc.__context__
        if nxt is None:
            return exc
        exc = nxt
        seen += 1
    return exc


def _describe(exc: BaseException) -> str:
    code = getattr(exc, "code", None)
    message = getattr(exc, "message", None) or (exc.args[0] if exc.args else str(exc))
    if isinstance(message, tuple) and message:
        message = message[0]
    message = str(message).splitlines()[0]
    return f"{message} ({code})" if code else message
