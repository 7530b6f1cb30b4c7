"""Export: our organisations and datasets as Trust Framework 22.10 credentials.

An organisation becomes the three credentials a 22.10 participant presents: ``gx:LegalParticipant``
(name, registration-number reference, headquarter and legal address as an ISO 3166-2
subdivision code), ``gx:legalRegistrationNumber`` (its ``dskg:`` registration numbers) and
``gx:GaiaXTermsAndConditions`` (the Trust Framework's text, taken from the official shapes).
A dataset becomes a ``gx:ServiceOffering`` provided by its publisher, whose terms and
conditions are its ODRL usage policy: the policy IRI and the SHA-256 of the policy's canonical
N-Quads as this node states it. The result, a presentation, must pass our own shapes step;
it is unsigned unless a key is configured (``DSKG_GAIAX_KEY``, a PEM private key, with
``DSKG_GAIAX_DID``, the issuer DID or a ``DID#fragment`` naming its key).
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from pyld import jsonld
from rdflib import BNode, Graph, Literal, URIRef

from kg.errors import ConfigError, DskgError, NotFound
from kg.gaiax.document import read_submission
from kg.gaiax.envelope import V1_CONTEXT, stamp
from kg.gaiax.jws import PrivateKey, key_algorithm
from kg.gaiax.proof import sign_credential
from kg.gaiax.shapes import official_2210_shapes
from kg.gaiax.trust import TrustStore
from kg.gaiax.verify import verify_batch
from kg.lexical import read_description
from kg.namespaces import DCAT, DCT, DSKG, GX2210, IANA_MEDIA, ODRL, SH
from kg.store.base import Store
from kg.store.sparql_text import predicate_filter
from kg.vocabulary import LABEL_PROPERTIES

KEY_ENV = "DSKG_GAIAX_KEY"
DID_ENV = "DSKG_GAIAX_DID"
TRUSTFRAMEWORK = str(GX2210)
CONTEXT = [V1_CONTEXT, "https://w3id.org/security/suites/jws-2020/v1", TRUSTFRAMEWORK]
#: Our registration-number properties -> the 22.10 legalRegistrationNumber terms.
NUMBERS_2210 = {DSKG.vatID: "gx:vatID", DSKG.leiCode: "gx:leiCode", DSKG.eori: "gx:EORI",
                DSKG.euid: "gx:EUID", DSKG.taxID: "gx:taxID",
                DSKG.localRegistrationNumber: "gx:local"}
#: Where an organisation states its seat's ISO 3166-2 subdivision (e.g. "BE-BRU").
SUBDIVISION = DSKG.countrySubdivisionCode


class ExportError(DskgError):
    """The graph lacks what a Gaia-X credential needs, or the result fails the shapes."""

    status = 422
    title = "Cannot build a Gaia-X credential"


@dataclass(frozen=True)
class Signer:
    key: PrivateKey
    did: str
    verification_method: str

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None) -> Signer | None:
        """The configured signer, or None when neither variable is set."""
        env = os.environ if environ is None else environ
        key_path, did = env.get(KEY_ENV), env.get(DID_ENV)
        if not key_path and not did:
            return None
        if not key_path or not did:
            raise ConfigError(f"set both {KEY_ENV} and {DID_ENV} to sign Gaia-X credentials")
        try:
            key = load_pem_private_key(Path(key_path).read_bytes(), password=None)
        except (OSError, ValueError, TypeError) as exc:
            raise ConfigError(f"{KEY_ENV}: cannot read an unencrypted PEM private key from "
                              f"{key_path}: {exc}") from None
        key_algorithm(key)  # type: ignore[arg-type]  # refuses unsupported key types
        issuer, _, fragment = did.partition("#")
        return cls(key, issuer, f"{issuer}#{fragment or 'JWK2020'}")  # type: ignore[arg-type]


def _ids(base_iri: str, kind: str, node: URIRef) -> str:
    return f"{base_iri}gaiax/{kind}/{hashlib.sha256(str(node).encode()).hexdigest()[:16]}"


def _one(store: Store, node: URIRef, props: tuple[URIRef, ...]) -> str | None:
    # The predicates are filtered, not bound: see kg.store.sparql_text.predicate_filter.
    rows = store.query(f"SELECT ?p ?v WHERE {{ ?s ?p ?v {predicate_filter(props)} }}",
                       {"s": node}).rows
    ranked = sorted(rows, key=lambda row: (props.index(row[0]),
                                           getattr(row[1], "language", None) not in (None, "en"),
                                           str(row[1])))
    return str(ranked[0][1]) if ranked else None


def _values(store: Store, node: URIRef, prop: URIRef) -> list[Any]:
    return sorted(store.query("SELECT ?v WHERE { ?s ?p ?v }", {"s": node, "p": prop})
                  .column("v"), key=str)


def _credential(base_iri: str, kind: str, node: URIRef, issuer: str, now: datetime,
                subject: dict[str, Any]) -> dict[str, Any]:
    credential_id = _ids(base_iri, kind, node)
    return {"@context": CONTEXT, "type": ["VerifiableCredential"], "id": credential_id,
            "issuer": issuer, "issuanceDate": stamp(now.replace(microsecond=0)),
            "credentialSubject": {"id": f"{credential_id}#cs", **subject}}


def _terms_and_conditions_text() -> str:
    shape = GX2210.GaiaXTermsAndConditionsShape
    shapes = official_2210_shapes()
    for prop in shapes.objects(shape, SH.property):
        value = shapes.value(prop, SH.hasValue)
        if value is not None:
            return str(value)
    raise ExportError("the official 22.10 shapes hold no terms-and-conditions text")


def participant_credentials(store: Store, org: URIRef, *, base_iri: str, issuer: str,
                            now: datetime) -> list[dict[str, Any]]:
    """The participant, registration-number and terms-and-conditions credentials of ``org``."""
    if not store.query("ASK { ?s ?p ?o }", {"s": org}).boolean:
        raise NotFound(f"no organisation {org} in the graph")
    name = _one(store, org, LABEL_PROPERTIES)
    stated = {term: [str(v) for v in _values(store, org, prop)]
              for prop, term in NUMBERS_2210.items()}
    numbers = {term: values[0] for term, values in stated.items() if values}
    subdivision = _one(store, org, (SUBDIVISION,))
    missing = [what for what, value in (("a name (skos:prefLabel)", name),
                                        ("a registration number (dskg:vatID, dskg:leiCode, ...)",
                                         numbers),
                                        ("an ISO 3166-2 subdivision code "
                                         "(dskg:countrySubdivisionCode)", subdivision))
               if not value]
    if missing:
        raise ExportError(f"{org} lacks {', '.join(missing)}, which a Gaia-X participant "
                          "credential needs")
    registration = _credential(base_iri, "registration-number", org, issuer, now,
                               {"type": "gx:legalRegistrationNumber", **numbers})
    address = {"gx:countrySubdivisionCode": subdivision}
    participant = _credential(base_iri, "participant", org, issuer, now, {
        "type": "gx:LegalParticipant", "gx:legalName": name,
        "gx:legalRegistrationNumber": {"id": registration["credentialSubject"]["id"]},
        "gx:headquarterAddress": address, "gx:legalAddress": dict(address)})
    terms = _credential(base_iri, "terms-and-conditions", org, issuer, now, {
        "type": "gx:GaiaXTermsAndConditions",
        "gx:termsAndConditions": _terms_and_conditions_text()})
    return [participant, registration, terms]


def _description_digest(store: Store, node: URIRef) -> str:
    """SHA-256 (hex) of the canonical N-Quads of what the graph says about ``node``: its
    triples and the blank nodes under them, from the descriptions that state them."""
    names = store.query("SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }", {"s": node})
    description = Graph()
    for (name,) in names.rows:
        found = read_description(store, name)  # type: ignore[arg-type]  # as written
        stack: list[Any] = [node]
        seen: set[Any] = set()
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            for p, o in found.predicate_objects(current):
                description.add((current, p, o))
                if isinstance(o, BNode):
                    stack.append(o)
    canonical = jsonld.normalize(description.serialize(format="nt"),
                                 {"algorithm": "URDNA2015", "format": "application/n-quads",
                                  "inputFormat": "application/n-quads"})
    return hashlib.sha256(str(canonical).encode("utf-8")).hexdigest()


def _media_type(store: Store, dataset: URIRef) -> str:
    rows = store.query("SELECT ?m WHERE { ?d <" + str(DCAT.distribution) + "> ?x . ?x <"
                       + str(DCAT.mediaType) + "> ?m }", {"d": dataset}).column("m")
    for value in sorted(rows, key=str):
        text = str(value)
        text = text[len(str(IANA_MEDIA)):] if text.startswith(str(IANA_MEDIA)) else text
        if text.count("/") == 1:
            return text
    return "application/octet-stream"


def offering_credential(store: Store, dataset: URIRef, provider_subject: str, *,
                        base_iri: str, issuer: str, now: datetime) -> dict[str, Any]:
    """A ``gx:ServiceOffering`` credential for a dataset or data service."""
    policies = [p for p in _values(store, dataset, ODRL.hasPolicy) if isinstance(p, URIRef)]
    if not policies:
        raise ExportError(f"{dataset} has no usage policy (odrl:hasPolicy): a Gaia-X service "
                          "offering needs terms and conditions with their hash")
    subject: dict[str, Any] = {
        "type": "gx:ServiceOffering",
        "gx:providedBy": {"id": provider_subject},
        "gx:aggregationOf": str(dataset),
        "gx:policy": [str(p) for p in policies],
        "gx:termsAndConditions": {"gx:URL": str(policies[0]),
                                  "gx:hash": _description_digest(store, policies[0])},
        "gx:dataAccountExport": {"gx:requestType": "API", "gx:accessType": "digital",
                                 "gx:formatType": _media_type(store, dataset)},
    }
    title = _one(store, dataset, (DCT.title,))
    if title:
        subject[str(DCT.title)] = title
    identifiers = [str(v) for v in _values(store, dataset, DCT.identifier)
                   if isinstance(v, Literal)]
    if identifiers:
        subject[str(DCT.identifier)] = identifiers[0]
    return _credential(base_iri, "service-offering", dataset, issuer, now, subject)


def _presentation(credentials: list[dict[str, Any]], signer: Signer | None,
                  now: datetime) -> dict[str, Any]:
    if signer is not None:
        credentials = [sign_credential(c, signer.key, signer.verification_method, created=now)
                       for c in credentials]
    presentation = {"@context": V1_CONTEXT, "type": "VerifiablePresentation",
                    "verifiableCredential": credentials}
    # What we hand out must pass the Gaia-X shapes and our own rules, as blocking (proofs
    # are checked by the receiver).
    verification = verify_batch([read_submission(json.dumps(presentation))], TrustStore(),
                                check_proof=False, now=now, strict=True)[0]
    if not verification.valid:
        problems = "; ".join(f"{c.credential}: {c.message}" for c in verification.failures())
        raise ExportError(f"the credentials built from the graph do not pass the Gaia-X "
                          f"shapes: {problems}")
    return presentation


def _issuer(base_iri: str, signer: Signer | None) -> str:
    return signer.did if signer is not None else base_iri


def export_organisation(store: Store, org: URIRef, *, base_iri: str,
                        signer: Signer | None = None, now: datetime | None = None
                        ) -> dict[str, Any]:
    """A presentation of the organisation's participant credentials."""
    now = now or datetime.now(UTC)
    credentials = participant_credentials(store, org, base_iri=base_iri,
                                          issuer=_issuer(base_iri, signer), now=now)
    return _presentation(credentials, signer, now)


def export_dataset(store: Store, dataset: URIRef, *, base_iri: str,
                   signer: Signer | None = None, now: datetime | None = None) -> dict[str, Any]:
    """A presentation of the dataset's service offering with its publisher's credentials."""
    now = now or datetime.now(UTC)
    issuer = _issuer(base_iri, signer)
    publishers = [p for p in _values(store, dataset, DCT.publisher) if isinstance(p, URIRef)]
    if not store.query("ASK { ?s ?p ?o }", {"s": dataset}).boolean:
        raise NotFound(f"no dataset {dataset} in the graph")
    if not publishers:
        raise ExportError(f"{dataset} has no publisher (dct:publisher): a Gaia-X service "
                          "offering must be provided by a participant")
    provider = participant_credentials(store, publishers[0], base_iri=base_iri, issuer=issuer,
                                       now=now)
    offering = offering_credential(store, dataset, provider[0]["credentialSubject"]["id"],
                                   base_iri=base_iri, issuer=issuer, now=now)
    return _presentation([*provider, offering], signer, now)
