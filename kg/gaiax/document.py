"""Reading a submission: one credential or a presentation, as JSON-LD or as JWTs.

Accepted forms: a JSON-LD Verifiable Credential; a JSON-LD Verifiable Presentation whose
``verifiableCredential`` holds JSON-LD credentials, compact JWS strings or
``EnvelopedVerifiableCredential`` objects (``data:application/vc+jwt,...``); a compact JWS
(``vc+jwt``, or ``vp+jwt`` whose payload is such a presentation). Each credential is then
expanded to RDF with shipped contexts only (the parse step).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from rdflib import Dataset, Graph, URIRef
from rdflib.exceptions import ParserError

from kg.errors import DskgError, ParseError
from kg.gaiax.jws import Jws, JwsError, parse_compact
from kg.jsonld import load_json, to_nquads
from kg.namespaces import CRED, RDF

_COMPACT_JWS = re.compile(r"^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$")
_ENVELOPE_PREFIXES = ("data:application/vc+jwt,", "data:application/vc+ld+jwt,",
                      "data:application/vc+ld+json+jwt,")
_PRESENTATION_TYPS = ("vp+jwt", "vp+ld+jwt", "vp+ld+json+jwt")
VC_TYPE = "VerifiableCredential"
VP_TYPE = "VerifiablePresentation"


def types_of(node: dict[str, Any]) -> list[str]:
    value = node.get("type", node.get("@type", []))
    if isinstance(value, str):
        return [value]
    return [t for t in value if isinstance(t, str)] if isinstance(value, list) else []


def id_of(node: dict[str, Any]) -> str | None:
    value = node.get("id", node.get("@id"))
    return value if isinstance(value, str) else None


@dataclass
class Credential:
    """One credential of a submission and what the parse step made of it."""

    label: str
    document: dict[str, Any] | None = None
    #: Set when the credential is secured as a JWT (its payload is ``document``).
    jwt: Jws | None = None
    #: The raw JSON (for storage exactly as received): the JSON-LD object or the compact JWS.
    original: str = ""
    #: The parse step's RDF, as N-Quads and as a dataset.
    nquads: str | None = None
    dataset: Dataset | None = None
    problem: str | None = None

    @property
    def default_graph(self) -> Graph:
        assert self.dataset is not None
        return self.dataset.default_graph

    def node(self) -> URIRef | None:
        """The credential node (typed VerifiableCredential) in its RDF."""
        if self.dataset is None:
            return None
        nodes = list(self.default_graph.subjects(RDF.type, CRED.VerifiableCredential))
        return nodes[0] if len(nodes) == 1 else None  # type: ignore[return-value]


@dataclass
class Submission:
    """What one input holds: its credentials, and the presentation around them if any."""

    credentials: list[Credential] = field(default_factory=list)
    presentation: dict[str, Any] | None = None
    presentation_jwt: Jws | None = None
    presentation_label: str | None = None


def _decode_jwt(token: str) -> tuple[Jws, dict[str, Any]]:
    try:
        jws = parse_compact(token)
        payload = json.loads(jws.payload())
    except (JwsError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"not a readable JWT: {exc}", format="vc+jwt") from None
    if not isinstance(payload, dict):
        raise ParseError("the JWT payload is not a JSON object", format="vc+jwt")
    return jws, payload


def _credential_from_jwt(token: str, label: str) -> Credential:
    try:
        jws, payload = _decode_jwt(token)
    except ParseError as exc:
        return Credential(label=label, original=token, problem=exc.message)
    return Credential(label=id_of(payload) or label, document=payload, jwt=jws, original=token)


def _credential(item: Any, index: int, inherited_context: Any) -> Credential:
    label = f"credential #{index + 1}"
    if isinstance(item, str):
        return _credential_from_jwt(item, label)
    if not isinstance(item, dict):
        return Credential(label=label, original=json.dumps(item),
                          problem="a credential must be a JSON object or a JWT")
    if "EnvelopedVerifiableCredential" in types_of(item):
        envelope = id_of(item) or ""
        prefix = next((p for p in _ENVELOPE_PREFIXES if envelope.startswith(p)), None)
        if prefix is None:
            return Credential(label=label, original=json.dumps(item),
                              problem="an EnvelopedVerifiableCredential needs a "
                                      f"{_ENVELOPE_PREFIXES[0]}... id")
        return _credential_from_jwt(envelope[len(prefix):], label)
    document = item if "@context" in item or inherited_context is None else {
        "@context": inherited_context, **item}
    return Credential(label=id_of(item) or label, document=document,
                      original=json.dumps(item, ensure_ascii=False))


def _from_presentation(presentation: dict[str, Any], jws: Jws | None) -> Submission:
    items = presentation.get("verifiableCredential", [])
    items = items if isinstance(items, list) else [items]
    context = presentation.get("@context")
    return Submission(
        credentials=[_credential(item, i, context) for i, item in enumerate(items)],
        presentation=presentation, presentation_jwt=jws,
        presentation_label=id_of(presentation) or "presentation")


def read_submission(data: bytes | str) -> Submission:
    """Split an input into credentials. Raises ParseError when it is neither JSON nor a JWS."""
    text = data.decode("utf-8", errors="replace") if isinstance(data, bytes) else data
    stripped = text.strip()
    if _COMPACT_JWS.match(stripped):
        jws, payload = _decode_jwt(stripped)
        if jws.header.get("typ") in _PRESENTATION_TYPS or VP_TYPE in types_of(payload):
            return _from_presentation(payload, jws)
        return Submission(credentials=[Credential(label=id_of(payload) or "credential #1",
                                                  document=payload, jwt=jws,
                                                  original=stripped)])
    if not stripped.startswith(("{", "[")):
        raise ParseError("neither JSON-LD nor a compact JWS (vc+jwt)", format="json-ld")
    document = load_json(data)
    if not isinstance(document, dict):
        raise ParseError("a credential or presentation must be a JSON object",
                         format="json-ld")
    if VP_TYPE in types_of(document):
        return _from_presentation(document, None)
    credential = _credential(document, 0, None)
    credential.original = stripped
    return Submission(credentials=[credential])


def expand(credential: Credential) -> None:
    """The parse step: JSON-LD to RDF with shipped contexts; sets ``dataset`` or ``problem``."""
    if credential.problem is not None or credential.document is None:
        return
    try:
        quads = to_nquads(credential.document)
    except DskgError as exc:
        credential.problem = exc.message
        return
    except (ValueError, TypeError, KeyError) as exc:  # pyld on some malformed input
        credential.problem = f"invalid JSON-LD: {exc}"
        return
    dataset = Dataset()
    try:
        dataset.parse(data=quads, format="nquads")
    except ParserError as exc:  # pyld lets an ill-formed IRI through
        credential.problem = f"the credential expands to invalid RDF: {str(exc)[:200]}"
        return
    credential.nquads = quads
    credential.dataset = dataset
    if credential.node() is None:
        credential.problem = "no single node of type VerifiableCredential in the credential"
        credential.dataset = None
