"""IRIs in requests: prefixed names in (``kg.namespaces.compact`` writes them out)."""

from __future__ import annotations

import re

from rdflib import URIRef

from kg.errors import BadRequest
from kg.namespaces import PREFIXES

# Characters that cannot appear in an IRI (RFC 3987) and would break SPARQL/Turtle text.
_FORBIDDEN = re.compile(r'[\s<>"{}|\\^`]')
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# IRI schemes taken as they are; any other "x:y" must be a prefixed name with a known prefix
# (so a mistyped prefix is an error, not a silently unknown IRI).
SCHEMES = ("http", "https", "urn", "did", "tag", "mailto", "ftp")


def looks_like_iri(text: str) -> bool:
    """True for an absolute IRI or a prefixed name with a known prefix."""
    if _FORBIDDEN.search(text) or not _SCHEME.match(text):
        return False
    prefix = text.split(":", 1)[0]
    return prefix in PREFIXES or prefix.lower() in SCHEMES


def expand(text: str, *, field: str = "IRI") -> URIRef:
    """``odrl:use`` -> the full IRI; an absolute IRI is kept; anything else is BadRequest."""
    value = text.strip()
    if not value:
        raise BadRequest(f"{field}: an IRI is required")
    if _FORBIDDEN.search(value):
        raise BadRequest(f"{field}: {text!r} is not a valid IRI (contains a forbidden character)")
    prefix, sep, local = value.partition(":")
    if sep and prefix in PREFIXES and not local.startswith("//"):
        return URIRef(PREFIXES[prefix] + local)
    if not _SCHEME.match(value) or prefix.lower() not in SCHEMES:
        raise BadRequest(f"{field}: {text!r} is neither an absolute IRI ({', '.join(SCHEMES)}) "
                         f"nor a prefixed name with a known prefix "
                         f"({', '.join(sorted(PREFIXES))})")
    return URIRef(value)
