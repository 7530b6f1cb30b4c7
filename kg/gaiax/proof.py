"""Proofs of Gaia-X credentials: make them and check them.

Embedded ``JsonWebSignature2020`` proofs carry a detached JWS with an unencoded payload
(``b64: false``). Two signing inputs are in use and both are accepted:

- the Gaia-X compliance service's (Trust Framework 22.10): the credential without its proof,
  canonicalised (URDNA2015 N-Quads), SHA-256, as lowercase hex text;
- the W3C CCG JsonWebSignature2020 suite's: SHA-256 of the canonical proof options (the proof
  without ``jws``, with the document's ``@context``) followed by SHA-256 of the canonical
  document without its proof, 64 raw bytes.

Credentials secured as ``vc+jwt`` (VC-JOSE-COSE) are compact JWS whose payload is the
credential; the key is the one the ``kid`` header names. Keys come from the trust store only.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal

from pyld import jsonld

from kg.errors import ParseError, RemoteContextRefused
from kg.gaiax.jws import (
    Jws,
    JwsError,
    PrivateKey,
    PublicKey,
    parse_compact,
    sign_compact,
    sign_detached,
    verify,
)
from kg.gaiax.trust import TrustError, TrustStore, did_of
from kg.jsonld import document_loader

SigningMethod = Literal["gaiax", "w3c"]
PROOF_TYPE = "JsonWebSignature2020"
SEC_PROOF = "https://w3id.org/security#proof"
RDF_TYPE = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type"
VC_CLASS = "https://www.w3.org/2018/credentials#VerifiableCredential"
#: Proof members that are the signature itself, never part of the signed proof options.
_SIGNATURE_MEMBERS = ("jws", "proofValue", "signatureValue")


@dataclass(frozen=True)
class ProofOutcome:
    """The result of checking one proof: ``reason`` is ``ok`` or names the failure kind."""

    ok: bool
    reason: str
    message: str


def _fail(reason: str, message: str) -> ProofOutcome:
    return ProofOutcome(False, reason, message)


# -- canonicalisation -----------------------------------------------------------------------

def canonical_nquads(document: Any) -> str:
    """URDNA2015 (RDFC-1.0) canonical N-Quads, with shipped contexts only."""
    options = {"algorithm": "URDNA2015", "format": "application/n-quads",
               "documentLoader": document_loader}
    try:
        return str(jsonld.normalize(document, options))
    except jsonld.JsonLdError as exc:
        cause: BaseException | None = exc
        while cause is not None and not isinstance(cause, RemoteContextRefused):
            cause = getattr(cause, "cause", None) or cause.__cause__
        if isinstance(cause, RemoteContextRefused):
            raise cause from None
        raise ParseError(f"cannot canonicalise: {str(exc).splitlines()[0]}",
                         format="json-ld") from None


def canonical_without_proof(nquads: str) -> str:
    """The canonical credential without its proof, from the N-Quads of the whole credential.

    Equal to canonicalising the JSON without its ``proof`` member: in both credential
    contexts ``proof`` is a protected ``@graph`` container, so dropping it drops exactly the
    credential's ``sec:proof`` link and the proof graph. This spares a second JSON-LD
    expansion, the costly part of canonicalisation.
    """
    dataset = jsonld.parse_nquads(nquads)
    default = dataset.get("@default", [])
    credentials = {q["subject"]["value"] for q in default
                   if q["predicate"]["value"] == RDF_TYPE and q["object"]["value"] == VC_CLASS}
    proofs = [q for q in default
              if q["predicate"]["value"] == SEC_PROOF and q["subject"]["value"] in credentials]
    dataset["@default"] = [q for q in default if q not in proofs]
    for quad in proofs:
        dataset.pop(quad["object"]["value"], None)
    return str(jsonld.normalize(jsonld.serialize_nquads(dataset), {
        "algorithm": "URDNA2015", "inputFormat": "application/n-quads",
        "format": "application/n-quads"}))


def without_proof(credential: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in credential.items() if k != "proof"}


def gaiax_payload(credential: dict[str, Any]) -> bytes:
    """What the Gaia-X compliance service signs: hex SHA-256 of the canonical credential."""
    digest = hashlib.sha256(canonical_nquads(without_proof(credential)).encode("utf-8"))
    return digest.hexdigest().encode("ascii")


def w3c_payload(credential: dict[str, Any], proof: dict[str, Any],
                document_digest: bytes | None = None) -> bytes:
    """What the W3C JsonWebSignature2020 suite signs: hash(proof options) + hash(document)."""
    options = {k: v for k, v in proof.items() if k not in _SIGNATURE_MEMBERS}
    options["@context"] = credential.get("@context")
    if document_digest is None:
        canonical = canonical_nquads(without_proof(credential))
        document_digest = hashlib.sha256(canonical.encode("utf-8")).digest()
    return hashlib.sha256(canonical_nquads(options).encode("utf-8")).digest() + document_digest


# -- keys -------------------------------------------------------------------------------------

def _key_for(header: dict[str, Any], method: str | None, issuer: str, trust: TrustStore,
             now: datetime) -> PublicKey:
    """The trusted key for a signature: from its x5c chain, else the issuer's DID document."""
    if method is not None and did_of(method) != issuer:
        raise TrustError("not-issuer", f"the key {method} does not belong to the issuer {issuer}")
    if "x5c" in header:
        return trust.chain_key(header["x5c"], issuer, now)
    if method is None:
        raise TrustError("unknown-key", "the signature names no key (no kid, no x5c)")
    if not trust.knows(issuer):
        raise TrustError("untrusted-issuer", f"untrusted issuer {issuer}: no DID document for "
                         f"it in the trust directory {trust.source} and no x5c chain")
    return trust.method_key(method, issuer)


_TAMPERED = ("signature does not verify: the credential was changed after signing, or signed "
             "with another key")


def verify_embedded(credential: dict[str, Any], issuer: str, trust: TrustStore,
                    now: datetime, nquads: str | None = None) -> ProofOutcome:
    """Check the JsonWebSignature2020 proof embedded in a JSON-LD credential.

    ``nquads``: the credential's RDF from the parse step, when at hand (saves an expansion).
    """
    proof = credential.get("proof")
    if isinstance(proof, list) and len(proof) == 1:
        proof = proof[0]
    if proof is None:
        return _fail("missing", "the credential has no proof (use --no-proof for drafts)")
    if not isinstance(proof, dict):
        return _fail("malformed", "one proof object expected (proof sets are not supported)")
    if proof.get("type") != PROOF_TYPE:
        return _fail("malformed", f"proof type {proof.get('type')!r} is not supported "
                                  f"(supported: {PROOF_TYPE})")
    method = proof.get("verificationMethod")
    if isinstance(method, dict):
        method = method.get("id")
    if not isinstance(method, str):
        return _fail("malformed", "the proof has no verificationMethod")
    try:
        jws = parse_compact(str(proof.get("jws", "")))
    except JwsError as exc:
        return _fail("malformed", f"proof jws: {exc}")
    if not jws.detached or not jws.unencoded:
        return _fail("malformed", "proof jws must be detached with an unencoded payload "
                                  "(header..signature, b64: false)")
    try:
        key = _key_for(jws.header, method, issuer, trust, now)
    except TrustError as exc:
        return _fail(exc.reason, exc.message)
    canonical = (canonical_without_proof(nquads) if nquads is not None
                 else canonical_nquads(without_proof(credential)))
    digest = hashlib.sha256(canonical.encode("utf-8"))
    if verify(jws, key, digest.hexdigest().encode("ascii")):
        return ProofOutcome(True, "ok", f"{jws.alg} signature by {method} verified "
                                        "(Gaia-X compliance signing method)")
    signed = w3c_payload(credential, proof, digest.digest())
    if verify(jws, key, signed):
        return ProofOutcome(True, "ok", f"{jws.alg} signature by {method} verified "
                                        "(W3C JsonWebSignature2020)")
    return _fail("bad-signature", _TAMPERED)


#: Credential types a Gaia-X Digital Clearing House's compliance service issues.
COMPLIANCE_TYPES = ("LabelCredential", "ComplianceCredential")


def is_compliance(document: Any) -> bool:
    """Whether a credential (its JSON) is a compliance credential of a Clearing House."""
    types = document.get("type", document.get("@type", [])) if isinstance(document, dict) else []
    types = [types] if isinstance(types, str) else types if isinstance(types, list) else []
    return any(isinstance(t, str) and t.rsplit(":", 1)[-1].rsplit("#", 1)[-1]
               in COMPLIANCE_TYPES for t in types)


def verify_jwt(jws: Jws, issuer: str, trust: TrustStore, now: datetime, *,
               compliance: bool = False) -> ProofOutcome:
    """Check a ``vc+jwt`` / ``vp+jwt``: its signature with the key its header names.

    A compliance credential (``compliance``) is trusted as Gaia-X trusts a Clearing House: its
    ``x5c`` chain must end at a listed Gaia-X trust anchor, which the message names.
    """
    kid = jws.header.get("kid")
    if isinstance(kid, str) and kid.startswith("#"):
        kid = issuer + kid
    anchor = None
    try:
        if compliance:
            if "x5c" not in jws.header:
                raise TrustError("untrusted-anchor", "a compliance credential must carry the "
                                 "x5c chain of its Clearing House, to a Gaia-X trust anchor")
            key, anchor = trust.anchored_key(jws.header["x5c"], issuer, now)
        else:
            key = _key_for(jws.header, kid if isinstance(kid, str) else None, issuer, trust,
                           now)
    except TrustError as exc:
        return _fail(exc.reason, exc.message)
    if jws.detached or not verify(jws, key):
        return _fail("bad-signature", _TAMPERED)
    who = kid if isinstance(kid, str) else "the x5c certificate"
    vouched = (f"; x5c chain vouched for by Gaia-X trust anchor {anchor.name!r}"
               if anchor is not None else "")
    return ProofOutcome(True, "ok", f"{jws.alg} JWT signature by {who} verified{vouched}")


# -- signing ----------------------------------------------------------------------------------

def _timestamp(when: datetime) -> str:
    return when.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def sign_credential(credential: dict[str, Any], key: PrivateKey, verification_method: str, *,
                    method: SigningMethod = "gaiax", created: datetime | None = None,
                    header: dict[str, Any] | None = None) -> dict[str, Any]:
    """The credential with a JsonWebSignature2020 proof (any old proof is replaced)."""
    unsigned = without_proof(credential)
    proof: dict[str, Any] = {
        "type": PROOF_TYPE,
        "created": _timestamp(created or datetime.now(UTC)),
        "proofPurpose": "assertionMethod",
        "verificationMethod": verification_method,
    }
    payload = gaiax_payload(unsigned) if method == "gaiax" else w3c_payload(unsigned, proof)
    proof["jws"] = sign_detached(key, payload, header)
    return {**unsigned, "proof": proof}


def sign_jwt(document: dict[str, Any], key: PrivateKey, kid: str, *, typ: str = "vc+jwt",
             header: dict[str, Any] | None = None) -> str:
    """A VC-JOSE-COSE compact JWS of ``document`` (``typ`` vc+jwt or vp+jwt)."""
    payload = json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    return sign_compact(key, payload, {"kid": kid, "typ": typ, **(header or {})})
