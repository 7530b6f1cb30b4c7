"""RDF namespaces used across the project (one place, so prefixes never drift)."""

import contextlib
import functools
import re
from collections.abc import Mapping

from rdflib import Namespace, URIRef
from rdflib.namespace import DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SH, SKOS, XSD

#: One URIRef object per vocabulary term, shared with the terms the store gives back
#: (``kg.store.terms.from_ox``): rdflib compares two equal but distinct URIRefs in Python,
#: the same object at once, and the policy evaluator compares these in its inner loops.
CONSTANTS: dict[str, URIRef] = {}


class _KeptNamespace(Namespace):
    """rdflib's Namespace builds a new URIRef on every attribute read (``ODRL.action``): each
    term is made once and kept (in ``CONSTANTS`` too)."""

    def __getattr__(self, name: str) -> URIRef:
        value = self[name]
        self.__dict__[name] = value
        return value

    def __getitem__(self, name: str) -> URIRef:  # type: ignore[override]
        if not isinstance(name, str):
            return super().__getitem__(name)
        text = str.__add__(self, name)
        value = CONSTANTS.get(text)
        if value is None:
            value = CONSTANTS[text] = URIRef(text)
        return value


DSKG = _KeptNamespace("https://w3id.org/dskg#")
ODRL = _KeptNamespace("http://www.w3.org/ns/odrl/2/")
DCT = DCTERMS
VCARD = Namespace("http://www.w3.org/2006/vcard/ns#")
ADMS = Namespace("http://www.w3.org/ns/adms#")
LOCN = Namespace("http://www.w3.org/ns/locn#")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
HYDRA = Namespace("http://www.w3.org/ns/hydra/core#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
GX2210 = Namespace(
    "https://registry.lab.gaia-x.eu/development/api/trusted-shape-registry/v1/shapes/jsonld/trustframework#"
)
GX = Namespace("https://w3id.org/gaia-x/development#")
CRED = Namespace("https://www.w3.org/2018/credentials#")
SEC = Namespace("https://w3id.org/security#")
EU_COUNTRY = Namespace("http://publications.europa.eu/resource/authority/country/")
EU_THEME = Namespace("http://publications.europa.eu/resource/authority/data-theme/")
EU_FILE_TYPE = Namespace("http://publications.europa.eu/resource/authority/file-type/")
EU_LANGUAGE = Namespace("http://publications.europa.eu/resource/authority/language/")
EU_LICENCE = Namespace("http://publications.europa.eu/resource/authority/licence/")
IANA_MEDIA = Namespace("http://www.iana.org/assignments/media-types/")

#: Default IRIs of the shipped ecosystem graph (entities live under this, whatever the node base).
DEFAULT_ID_BASE = "https://w3id.org/dskg/id/"
#: The named graph that holds one provenance record per description graph.
META_GRAPH = "https://w3id.org/dskg/graph/meta"

PREFIXES: dict[str, str] = {
    "dskg": str(DSKG),
    "odrl": str(ODRL),
    "dcat": str(DCAT),
    "dct": str(DCTERMS),
    "foaf": str(FOAF),
    "org": str(ORG),
    "owl": str(OWL),
    "prov": str(PROV),
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "sh": str(SH),
    "skos": str(SKOS),
    "xsd": str(XSD),
    "vcard": str(VCARD),
    "adms": str(ADMS),
    "locn": str(LOCN),
    "eli": str(ELI),
    "gx": str(GX),
}

_LOCAL_NAME = re.compile(r"[A-Za-z0-9_.-]+")


def compact(iri: object, prefixes: Mapping[str, str] = PREFIXES) -> str:
    """The prefixed name for ``iri`` under the longest namespace of ``prefixes`` it starts
    with (a local part of letters, digits, ``_.-`` only), else the IRI itself: for people."""
    if prefixes is PREFIXES:  # the usual case, asked for the same IRIs again and again
        return _compact_default(str(iri))
    return _compact(str(iri), prefixes)


@functools.lru_cache(maxsize=16384)
def _compact_default(text: str) -> str:
    return _compact(text, PREFIXES)


def _compact(text: str, prefixes: Mapping[str, str]) -> str:
    best: tuple[str, str] | None = None
    for prefix, namespace in prefixes.items():
        local = text[len(namespace):]
        if text.startswith(namespace) and _LOCAL_NAME.fullmatch(local) and (
                best is None or len(namespace) > len(prefixes[best[0]])):
            best = (prefix, local)
    return f"{best[0]}:{best[1]}" if best else text


__all__ = [
    "ADMS", "CRED", "DCAT", "DCT", "DCTERMS", "DEFAULT_ID_BASE", "DSKG", "ELI", "EU_COUNTRY",
    "EU_FILE_TYPE", "EU_LANGUAGE", "EU_LICENCE", "EU_THEME", "FOAF", "GX", "GX2210", "HYDRA",
    "IANA_MEDIA", "LOCN", "META_GRAPH", "ODRL", "ORG", "OWL", "PREFIXES", "PROV", "RDF", "RDFS",
    "SD", "SEC", "SH", "SKOS", "VCARD", "XSD", "compact",
]


def _keep_defined_terms() -> None:
    for namespace in (DCAT, DCTERMS, FOAF, ORG, OWL, PROV, RDF, RDFS, SH, SKOS, XSD):
        for cls in namespace.__mro__:
            for name in getattr(cls, "__annotations__", {}):
                if not name.startswith("_"):
                    with contextlib.suppress(Exception):
                        term = namespace[name]
                        CONSTANTS.setdefault(str(term), term)


_keep_defined_terms()


def constant(iri: str) -> URIRef | None:
    """The kept term for ``iri`` when it is one of the project's own vocabulary terms."""
    found = CONSTANTS.get(iri)
    if found is None and iri.startswith((ODRL, DSKG)):
        found = CONSTANTS[iri] = URIRef(iri)
    return found
