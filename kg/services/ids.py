"""REST ids <-> resource IRIs.

An IRI the node mints (``{base}id/{segment}/{slug}``) or one of the shipped default graph
(``https://w3id.org/dskg/id/{segment}/{slug}``), whose segment belongs to the kind, has its
slug as id: ``/datasets/air-quality``. Any other IRI gets ``~`` and its base64url form, so
every IRI has an id and every id names exactly one IRI.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import quote

from rdflib import URIRef

from kg.errors import BadRequest, NotFound
from kg.namespaces import DEFAULT_ID_BASE
from kg.services.kinds import Kind
from kg.store import Store
from kg.store.sparql_text import values_list

SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,199}")
ENCODED_PREFIX = "~"
#: Characters an IRI may not contain (RFC 3987 excludes them; SPARQL cannot write them).
_BAD_IRI_CHARS = re.compile(r'[\x00-\x20<>"{}|^`\\]')
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")


def parse_iri(text: str, what: str = "IRI") -> URIRef:
    """A user-given absolute IRI, checked so it can be written in SPARQL and RDF."""
    if not _SCHEME.match(text) or _BAD_IRI_CHARS.search(text) or len(text) > 2000:
        raise BadRequest(f"{what} must be an absolute IRI without spaces or <>\"{{}}|^`\\, "
                         f"got {text[:200]!r}")
    return URIRef(text)


def meant_as_iri(text: str) -> bool:
    """True for text meant as an IRI (``scheme://...``, ``urn:``, ``did:``), not as an id."""
    return ("://" in text and bool(_SCHEME.match(text))) or text.startswith(("urn:", "did:"))


class IdMapper:
    """The id scheme of one node (its base IRI plus the default graph's base)."""

    def __init__(self, base_iri: str) -> None:
        self.base_iri = base_iri
        bases = [base_iri + "id/", DEFAULT_ID_BASE]
        self.id_bases = list(dict.fromkeys(bases))

    # -- IRI -> id ------------------------------------------------------------------------
    def to_id(self, iri: URIRef | str, kind: Kind) -> str:
        text = str(iri)
        for base in self.id_bases:
            if text.startswith(base):
                segment, _, slug = text[len(base):].partition("/")
                if segment in kind.segments and SLUG.fullmatch(slug):
                    return slug
        encoded = base64.urlsafe_b64encode(text.encode("utf-8")).decode("ascii").rstrip("=")
        return ENCODED_PREFIX + encoded

    def href(self, iri: URIRef | str, kind: Kind | None) -> str:
        """The URL path of a resource: its REST URL, or the generic resource page."""
        if kind is not None:
            return f"/{kind.name}/{self.to_id(iri, kind)}"
        return "/resource?iri=" + quote(str(iri), safe="")

    # -- id -> IRI ------------------------------------------------------------------------
    def candidates(self, resource_id: str, kind: Kind) -> list[URIRef]:
        """The IRIs an id may stand for, in order of preference (node base first)."""
        if resource_id.startswith(ENCODED_PREFIX):
            raw = resource_id[len(ENCODED_PREFIX):]
            if not re.fullmatch(r"[A-Za-z0-9_-]+", raw):
                return []
            try:
                text = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8")
            except (binascii.Error, UnicodeDecodeError, ValueError):
                return []
            try:
                return [parse_iri(text)]
            except BadRequest:
                return []
        if not SLUG.fullmatch(resource_id):
            return []
        return [URIRef(f"{base}{segment}/{resource_id}")
                for base in self.id_bases for segment in kind.segments]

    def resolve(self, store: Store, kind: Kind, resource_id: str) -> URIRef:
        """The IRI of ``resource_id`` in ``kind`` (NotFound when no such resource)."""
        found = self.find(store, kind, resource_id)
        if found is None:
            raise NotFound(f"no {kind.singular} with id {resource_id!r}; "
                           f"GET /{kind.name} lists them")
        return found

    def find(self, store: Store, kind: Kind, resource_id: str) -> URIRef | None:
        candidates = self.candidates(resource_id, kind)
        if not candidates:
            return None
        result = store.query(f"SELECT DISTINCT ?s WHERE {{ {values_list('s', candidates)} "
                             f"{kind.type_pattern('s')} }}")
        present = {row[0] for row in result.rows}
        return next((c for c in candidates if c in present), None)
