"""The envelope step: is it a credential, who issued it, and is it valid now?

Read from the credential's RDF (so term aliases in contexts cannot hide a date):
``cred:issuer``, ``cred:issuanceDate`` / ``cred:validFrom`` and ``cred:expirationDate`` /
``cred:validUntil`` (VC Data Model 1.1 and 2.0 use the same vocabulary), plus the ``nbf`` and
``exp`` claims of a JWT when it has them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rdflib import Literal, URIRef

from kg.gaiax.document import Credential
from kg.namespaces import CRED

V1_CONTEXT = "https://www.w3.org/2018/credentials/v1"
V2_CONTEXT = "https://www.w3.org/ns/credentials/v2"
_VERSIONS = {V1_CONTEXT: "1.1", V2_CONTEXT: "2.0"}


@dataclass(frozen=True)
class Envelope:
    ok: bool
    message: str
    issuer: str | None = None
    version: str | None = None


def stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def _first_context(document: dict[str, Any]) -> Any:
    context = document.get("@context")
    return context[0] if isinstance(context, list) and context else context


def _date(value: Any, name: str) -> datetime:
    if not isinstance(value, Literal) or not isinstance(value.toPython(), datetime):
        raise ValueError(f"{name} {str(value)!r} is not an xsd:dateTime")
    moment = value.toPython()
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _claim_date(payload: dict[str, Any], claim: str) -> datetime | None:
    value = payload.get(claim)
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool):
        raise ValueError(f"JWT claim {claim} is not a NumericDate")
    return datetime.fromtimestamp(value, UTC)


def check_envelope(credential: Credential, now: datetime) -> Envelope:
    """Check types, issuer and validity period; the message states the dates."""
    document = credential.document or {}
    first = _first_context(document)
    version = _VERSIONS.get(first) if isinstance(first, str) else None
    if version is None:
        return Envelope(False, f"the first @context must be {V1_CONTEXT} (VC Data Model 1.1) "
                               f"or {V2_CONTEXT} (2.0), found {first!r}"[:300])
    node = credential.node()
    graph = credential.default_graph
    issuer = graph.value(node, CRED.issuer)
    if not isinstance(issuer, URIRef):
        return Envelope(False, "the credential names no issuer IRI", version=version)
    if graph.value(node, CRED.credentialSubject) is None:
        return Envelope(False, "the credential has no credentialSubject", str(issuer), version)
    try:
        starts = [(name, _date(graph.value(node, CRED[name]), name))
                  for name in ("issuanceDate", "validFrom")
                  if graph.value(node, CRED[name]) is not None]
        ends = [(name, _date(graph.value(node, CRED[name]), name))
                for name in ("expirationDate", "validUntil")
                if graph.value(node, CRED[name]) is not None]
        if credential.jwt is not None:
            for claim, bucket in (("nbf", starts), ("exp", ends)):
                moment = _claim_date(document, claim)
                if moment is not None:
                    bucket.append((f"JWT {claim}", moment))
    except ValueError as exc:
        return Envelope(False, str(exc), str(issuer), version)
    if version == "1.1" and not any(name == "issuanceDate" for name, _ in starts):
        return Envelope(False, "a VC Data Model 1.1 credential needs an issuanceDate",
                        str(issuer), version)
    if credential.jwt is not None and document.get("iss", str(issuer)) != str(issuer):
        return Envelope(False, f"JWT iss {document.get('iss')} is not the issuer {issuer}",
                        str(issuer), version)
    for name, moment in starts:
        if moment > now:
            return Envelope(False, f"not yet valid: {name} {stamp(moment)} is after now "
                                   f"({stamp(now)})", str(issuer), version)
    for name, moment in ends:
        if moment < now:
            return Envelope(False, f"expired: {name} {stamp(moment)} is before now "
                                   f"({stamp(now)})", str(issuer), version)
    period = ", ".join(f"{name} {stamp(moment)}" for name, moment in starts + ends)
    return Envelope(True, f"VerifiableCredential (VC Data Model {version}) issued by {issuer}; "
                          f"{period or 'no validity dates'}; now {stamp(now)}",
                    str(issuer), version)
