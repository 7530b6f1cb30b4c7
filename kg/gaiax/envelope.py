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


# -- the JOSE envelope of a vc+jwt, checked on the token as received --------------------------

#: ``typ`` values of secured credentials and presentations (VC-JOSE-COSE, and the ``+ld``
#: spelling Gaia-X Loire tools emit), with the ``cty`` each may name.
CREDENTIAL_TYPS = {"vc+jwt", "vc+ld+jwt", "vc+ld+json+jwt"}
PRESENTATION_TYPS = {"vp+jwt", "vp+ld+jwt", "vp+ld+json+jwt"}
_CTYS = {"vc": {"vc", "vc+ld", "vc+ld+json", "vc+json", "application/vc", "application/vc+ld+json"},
         "vp": {"vp", "vp+ld", "vp+ld+json", "vp+json", "application/vp", "application/vp+ld+json"}}


def _id(value: Any) -> str | None:
    if isinstance(value, dict):
        value = value.get("id", value.get("@id"))
    return value if isinstance(value, str) else None


def _json_date(value: Any, name: str) -> datetime:
    if not isinstance(value, str):
        raise ValueError(f"{name} {value!r} is not a date-time string")
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} {value!r} is not an ISO 8601 date-time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _contexts(document: dict[str, Any]) -> list[Any]:
    context = document.get("@context")
    return context if isinstance(context, list) else [context]


def check_jwt_envelope(header: dict[str, Any], payload: dict[str, Any], now: datetime, *,
                       kind: str = "vc") -> Envelope:
    """The envelope of a ``vc+jwt`` (``kind`` vc) or ``vp+jwt`` (vp) from its JOSE header and
    JSON payload, before and independently of any JSON-LD expansion: ``typ``, ``cty``, ``iss``
    (header or claim) against the issuer, ``kid`` belonging to it, and the validity period
    (``validFrom``/``validUntil``, ``issuanceDate``/``expirationDate``, ``nbf``/``exp``)."""
    typ = header.get("typ")
    allowed = CREDENTIAL_TYPS if kind == "vc" else PRESENTATION_TYPS
    if typ not in allowed:
        return Envelope(False, f"JOSE header typ {typ!r} is not one of "
                               f"{', '.join(sorted(allowed))}")
    cty = header.get("cty")
    if cty is not None and cty not in _CTYS[kind]:
        return Envelope(False, f"JOSE header cty {cty!r} does not announce a "
                               f"{'credential' if kind == 'vc' else 'presentation'}")
    first = _contexts(payload)[0]
    version = _VERSIONS.get(first) if isinstance(first, str) else None
    if version is None:
        return Envelope(False, f"the first @context must be {V1_CONTEXT} or {V2_CONTEXT}, "
                               f"found {first!r}"[:300])
    if kind == "vp":
        holder = _id(payload.get("holder")) or _id(header.get("iss")) or _id(payload.get("iss"))
        return Envelope(True, f"{typ} presentation of {holder or 'an unnamed holder'}",
                        holder, version)
    issuer = _id(payload.get("issuer"))
    if issuer is None:
        return Envelope(False, "the credential names no issuer", version=version)
    for where, iss in (("header", header.get("iss")), ("claim", payload.get("iss"))):
        if iss is not None and iss != issuer:
            return Envelope(False, f"JWT iss {iss!r} ({where}) is not the issuer {issuer}",
                            issuer, version)
    kid = header.get("kid")
    if kid is None and "x5c" not in header:
        return Envelope(False, "the JOSE header names no key (kid) and carries no x5c chain",
                        issuer, version)
    if kid is not None and (not isinstance(kid, str)
                            or not (kid.startswith("#") or kid.split("#", 1)[0] == issuer)):
        return Envelope(False, f"kid {kid!r} is not a key of the issuer {issuer}",
                        issuer, version)
    if payload.get("credentialSubject") is None:
        return Envelope(False, "the credential has no credentialSubject", issuer, version)
    try:
        starts: list[tuple[str, datetime]] = [
            (n, _json_date(payload[n], n)) for n in ("issuanceDate", "validFrom") if n in payload]
        ends: list[tuple[str, datetime]] = [
            (n, _json_date(payload[n], n)) for n in ("expirationDate", "validUntil")
            if n in payload]
        for claim, bucket in (("nbf", starts), ("exp", ends)):
            moment = _claim_date(payload, claim)
            if moment is not None:
                bucket.append((f"JWT {claim}", moment))
    except ValueError as exc:
        return Envelope(False, str(exc), issuer, version)
    for name, moment in starts:
        if moment > now:
            return Envelope(False, f"not yet valid: {name} {stamp(moment)} is after now "
                                   f"({stamp(now)})", issuer, version)
    for name, moment in ends:
        if moment < now:
            return Envelope(False, f"expired: {name} {stamp(moment)} is before now "
                                   f"({stamp(now)})", issuer, version)
    period = ", ".join(f"{name} {stamp(moment)}" for name, moment in starts + ends)
    return Envelope(True, f"{typ}{f' ({cty})' if cty else ''} credential (VC Data Model "
                          f"{version}) issued by {issuer}, key {kid or 'x5c'}; "
                          f"{period or 'no validity dates'}; now {stamp(now)}", issuer, version)
